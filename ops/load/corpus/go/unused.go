package main

import "fmt"

func main() {
	words := []string{"kafka", "clickhouse", "go"}
	longest := ""
	for i, w := range words {
		if len(w) > len(longest) {
			longest = w
		}
	}
	fmt.Println("longest:", longest)
}
