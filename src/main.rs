use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use podtrace::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr();
    let res = match &cli.command {
        Command::Analyze(args) => podtrace::cli::analyze(args, &mut out, &mut err),
        Command::Inspect(args) => podtrace::cli::inspect(args, &mut out),
        Command::Simulate(args) => podtrace::cli::simulate(args, &mut out),
        #[cfg(feature = "otlp")]
        Command::Trace(args) => podtrace::cli::trace(args, &mut out, &mut err),
        #[cfg(feature = "report")]
        Command::Report(args) => podtrace::cli::report(args, &mut out, &mut err),
        #[cfg(feature = "report")]
        Command::Diff(args) => podtrace::cli::diff(args, &mut out, &mut err),
    };
    let res = res.and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    match res {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`podtrace analyze | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(err, "podtrace: {e:#}");
            ExitCode::from(2)
        }
    }
}
