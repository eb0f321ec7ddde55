//! The `daicho-collector` command line.

fn main() {
    println!("daicho-collector {}", env!("CARGO_PKG_VERSION"));
}
