//! The `daicho-agent` command line.

fn main() -> std::process::ExitCode {
    daicho_agent::cli::main()
}
