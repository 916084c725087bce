fn parse_all(items: &[&str]) -> Vec<u32> {
    items.iter().map(|s| s.parse::<u32>().expect("not a number")).collect()
}

fn main() {
    let values = parse_all(&["12", "7", "forty", "3"]);
    println!("sum = {}", values.iter().sum::<u32>());
}
