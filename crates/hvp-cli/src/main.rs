//! The `hvp` binary: parses the command line and runs it on a thread with
//! a large stack (deeply nested expressions recurse while lowering).

use std::process::ExitCode;

// Forwards to the system allocator; counts bytes only while `hvp bench`
// measures a program's peak heap growth.
#[global_allocator]
static GLOBAL: hvp_problems::measure::CountingAlloc = hvp_problems::measure::CountingAlloc;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let worker = std::thread::Builder::new()
        .name("hvp".into())
        .stack_size(256 << 20)
        .spawn(move || hvp_cli::run_args(args));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        // A panic has printed its message; it is a bug, not bad input.
        _ => ExitCode::from(101),
    }
}
