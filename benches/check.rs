//! Placeholder replaced by the benchmark suite (see README, "Benchmarks").
fn main() {}
