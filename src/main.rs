use std::io::{self, Write};
use std::process::ExitCode;

use clap::FromArgMatches;
mod cli;
#[cfg(feature = "report")]
mod cli_events;
mod cli_follow;
mod help;

use cli::{Cli, Command, Status};

fn main() -> ExitCode {
    let argv0 = std::env::args_os().next();
    let matches = cli::command_for(argv0.as_deref()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
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
        Command::Report(args) => cli::report(args, cli.color.style(), &mut out, &mut err),
        #[cfg(feature = "report")]
        Command::Diff(args) => cli::diff(args, cli.color.style(), &mut out, &mut err),
        Command::Follow(args) => cli_follow::follow(args, &mut out, &mut err),
        #[cfg(feature = "report")]
        Command::Extract(args) => cli_events::extract(args, &mut out, &mut err),
        #[cfg(feature = "report")]
        Command::Build(args) => cli_events::build(args, cli.color.style(), &mut out, &mut err),
        #[cfg(feature = "report")]
        Command::Partition(args) => cli_events::partition(args, &mut out, &mut err),
        Command::Completions(args) => cli::completions(args, &mut out),
        Command::Man(args) => cli::man(args, &mut out, &mut err),
    };
    let res = res.and_then(|code| match out.flush() {
        // The command ran to its end and only the reader left early (`report --slo … | head`):
        // its status stands (a failed gate still fails the run).
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(code),
        r => r.map(|()| code).map_err(Into::into),
    });
    if std::env::var_os("PODTRACE_TIMINGS").is_some() {
        if let Some(kib) = podtrace::peak_rss_kib() {
            let _ = writeln!(err, "podtrace: peak RSS: {kib} KiB");
        }
    }
    match res {
        Ok(status) => status.into(),
        Err(e) => {
            // A closed pipe (`podtrace analyze | head`) is not an error: the reader has what it
            // wanted. Seen in the error's chain, or kept by stdout's writer when an encoder
            // (polars' CSV writer, …) said it in its own words.
            let closed = |io: &io::Error| io.kind() == io::ErrorKind::BrokenPipe;
            if e.chain()
                .any(|c| c.downcast_ref::<io::Error>().is_some_and(closed))
                || out.error.as_ref().is_some_and(closed)
            {
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
