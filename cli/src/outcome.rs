//! How a command ends: what it printed, the problems it found (exit 1), or
//! why it could not run (exit 2). Commands build these values and `main`
//! writes them, so every command follows the same exit-code contract.

use std::io::{self, Write};
use std::process::ExitCode;

/// A command that ran: its standard output and the problems it found.
#[derive(Debug, Default)]
pub struct Report {
    /// Written to stdout as is.
    pub stdout: String,
    /// One line each to stderr; any problem makes the exit status 1.
    pub problems: Vec<String>,
}

impl Report {
    /// A report with this output and no problems.
    pub fn output(stdout: String) -> Report {
        Report {
            stdout,
            problems: Vec::new(),
        }
    }
}

/// Bad usage or bad input: one line per problem to stderr, exit status 2.
#[derive(Debug)]
pub struct BadInput {
    /// Each a complete, self-explaining line (file, field path, what is wrong).
    pub lines: Vec<String>,
}

impl BadInput {
    /// A single-problem failure, written as `error: <message>`.
    pub fn new(message: impl Into<String>) -> BadInput {
        BadInput {
            lines: vec![format!("error: {}", message.into())],
        }
    }
}

/// Writes a command's result and turns it into the process exit status:
/// 0 success, 1 problems found, 2 bad usage or input.
pub fn finish(result: Result<Report, BadInput>) -> ExitCode {
    let mut stderr = io::stderr().lock();
    match result {
        Ok(report) => {
            let mut stdout = io::stdout().lock();
            if let Err(e) = stdout
                .write_all(report.stdout.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // A reader that went away early (`| head`) is not an error.
                if e.kind() != io::ErrorKind::BrokenPipe {
                    let _ = writeln!(stderr, "error: cannot write the output: {e}");
                    return ExitCode::from(1);
                }
            }
            for line in &report.problems {
                let _ = writeln!(stderr, "{line}");
            }
            if report.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(bad) => {
            for line in &bad.lines {
                let _ = writeln!(stderr, "{line}");
            }
            ExitCode::from(2)
        }
    }
}
