//! The `daicho-agent` command line.

fn main() {
    println!("daicho-agent {}", env!("CARGO_PKG_VERSION"));
}
