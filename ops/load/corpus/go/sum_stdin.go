package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	scanner := bufio.NewScanner(os.Stdin)
	total, count, skipped := 0.0, 0, 0
	for scanner.Scan() {
		for _, field := range strings.Fields(scanner.Text()) {
			v, err := strconv.ParseFloat(field, 64)
			if err != nil {
				skipped++
				continue
			}
			total += v
			count++
		}
	}
	fmt.Printf("%d numbers, sum %.2f, skipped %d words\n", count, total, skipped)
}
