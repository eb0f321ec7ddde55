//! `lan-probe IP PORT [--max N] [--timeout-ms MS] [--send-hex HEX] [--until-hex HEX]`: one TCP
//! probe from the current network namespace, result as one JSON line (see `daicho_testlan::probe`).

use std::process::ExitCode;

use daicho_testlan::probe::{ProbeRequest, run};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match ProbeRequest::from_args(&args) {
        Ok(req) => {
            let result = run(&req);
            println!(
                "{}",
                serde_json::to_string(&result).expect("a probe result always serialises")
            );
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!(
                "lan-probe: {msg}\nusage: lan-probe IP PORT [--max N] [--timeout-ms MS] [--send-hex HEX] [--until-hex HEX]"
            );
            ExitCode::from(2)
        }
    }
}
