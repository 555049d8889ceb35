use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
mod cli;

use cli::{Cli, Command, Status};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    // Keeps stdout's own I/O error, to say where a write failed (`> /dev/full`).
    let mut out = cli::Recorded::new(io::BufWriter::new(stdout.lock()));
    let mut err = io::stderr();
    let res = match &cli.command {
        Command::Analyze(args) => cli::analyze(args, cli.color.style(), &mut out, &mut err),
        Command::Inspect(args) => cli::inspect(args, cli.color.style(), &mut out, &mut err),
        Command::Simulate(args) => cli::simulate(args, &mut out),
        #[cfg(feature = "otlp")]
        Command::Trace(args) => cli::trace(args, &mut out, &mut err),
        #[cfg(feature = "report")]
        Command::Report(args) => cli::report(args, &mut out, &mut err),
        #[cfg(feature = "report")]
        Command::Diff(args) => cli::diff(args, &mut out, &mut err),
    };
    let res = res.and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    if std::env::var_os("PODTRACE_TIMINGS").is_some() {
        if let Some(kib) = podtrace::peak_rss_kib() {
            let _ = writeln!(err, "podtrace: peak RSS: {kib} KiB");
        }
    }
    match res {
        Ok(status) => status.into(),
        Err(e) => {
            // A closed pipe (`podtrace analyze | head`) is not an error.
            if e.chain().any(|c| {
                c.downcast_ref::<io::Error>()
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            }) {
                return Status::Ok.into();
            }
            let e = match out.error.take() {
                Some(io) => format!("writing to stdout: {io}"),
                None => format!("{e:#}"),
            };
            // Errors can quote input (paths, file contents): control characters escaped.
            let _ = writeln!(err, "podtrace: {}", podtrace::export::escape::escape(&e));
            Status::Unusable.into()
        }
    }
}
