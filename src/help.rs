//! Examples shown at the end of each command's `--help`: the habit of kubectl and ripgrep, where
//! a newcomer copies a line that works. Each line here runs as written on the bundled demo or on
//! a bundle made by `podtrace simulate`.

pub const TOP: &str = "\
Examples:
  podtrace analyze                          the bundled demo, no files needed
  podtrace analyze ./kind-logs              a `kind export logs` folder (or .tar.gz, .zip)
  podtrace report ./kind-logs --html r.html latency per phase, SLO gates, an HTML report
  podtrace trace ./kind-logs                one OTLP trace per pod to localhost:4317
  podtrace diff ./before ./after            did the upgrade slow pod startup down?
  podtrace follow ./kind-logs               timelines live, as the logs are written

As a kubectl plugin: install the binary as `kubectl-podtrace` (or link it), then
`kubectl podtrace analyze ./kind-logs`. Shell completions: `podtrace completions bash`;
a man page: `podtrace man`.";

pub const FOLLOW: &str = "\
Examples:
  podtrace follow ./kind-logs                 each pod as soon as it is ready and programmed
  podtrace follow /var/log/pods /var/log/containers --exit-when-idle 1m
  journalctl -f -o json -u kubelet | podtrace follow - --stdin-name worker-1/kubelet.log
  kubectl logs -f -n kube-system kube-proxy-x2x9z | podtrace follow -
  podtrace follow ./kind-logs -o json --settle 10s | jq 'select(.type == \"pod\")'
  podtrace follow ./kind-logs --endpoint http://localhost:4317
                                              each pod's trace sent once it is emitted";

pub const EXTRACT: &str = "\
Examples:
  podtrace extract ./bundle -o events.parquet     every file's events, one file
  podtrace extract ./bundle/worker-1 -o w1.parquet   a shard: any subset of the files
  podtrace extract ./bundle -o - > events.parquet  the same through stdout (a pipe step)";

pub const BUILD: &str = "\
Examples:
  podtrace build w1.parquet w2.parquet cp.parquet   what analyze gives on the three shards' logs
  podtrace build ./events -o json           every events file in a folder, JSON Lines
  podtrace report ./events --slo upstream   report and trace read events files too

A build split in partitions (docs/scale.md), each command on any machine:
  podtrace partition ./events -n 4 -o parts
  for k in 0 1 2 3; do podtrace build parts/$k --partition-facts; done > facts.jsonl
  for k in 0 1 2 3; do podtrace build parts/$k --facts facts.jsonl > part-$k.json; done
  podtrace build part-*.json -o json          what one build of ./events gives (report, trace too)";

pub const PARTITION: &str = "\
Examples:
  podtrace partition ./events -n 4 -o parts  parts/0 … parts/3, each a folder of events files
  podtrace partition --plan routes.jsonl -n 64
                                            the plan only, for an engine that groups routes
                                            itself (lines {\"route\",\"rows\",\"links\"})";

pub const ANALYZE: &str = "\
Examples:
  podtrace analyze                          the bundled demo
  podtrace analyze ./must-gather            summary and the 10 slowest pods
  podtrace analyze ./logs web-0 default/db-1
                                            two pods' timelines: an argument that is no
                                            existing path is a pod (name, namespace/name, uid prefix)
  podtrace analyze ./logs -n prod --node worker-3 --sort-by scheduling --top 20
  podtrace analyze ./logs --details --top 0 -o wide
                                            every timeline, every detail
  podtrace analyze ./logs -o json | jq 'select(.type == \"pod\")'
  podtrace analyze ./bundle --timezone +02:00 --year 2025
                                            zoneless, yearless stamps (klog, journald short)";

pub const INSPECT: &str = "\
Examples:
  podtrace inspect ./bundle                 each file: format, source, host, clock, lines
  podtrace inspect ./bundle -o json        the same for programs
  podtrace inspect ./bundle -o wide        paths and unparsed lines whole
  podtrace inspect ./bundle --strict        exit 1 when a recognised source has unread lines";

pub const SIMULATE: &str = "\
Examples:
  podtrace simulate /tmp/sim                100 pods on 3 workers
  podtrace simulate /tmp/big --pods 2000 --nodes 20 --failures --noise 2
  podtrace simulate /tmp/skew --skew-ms 250 --timezone 2 --gzip
  podtrace simulate /tmp/sim --force        write over a folder that is not empty";

pub const TRACE: &str = "\
Examples:
  podtrace trace ./bundle                   to localhost:4317 (OTLP gRPC); open Jaeger
  podtrace trace ./bundle --protocol http/protobuf --endpoint http://tempo:4318/v1/traces
  podtrace trace ./bundle --perfetto pods.json   open in ui.perfetto.dev
  podtrace trace ./bundle --otlp-file spans.jsonl --send
  podtrace trace ./bundle -o json           what was sent, rejected, failed: one JSON object";

pub const REPORT: &str = "\
Examples:
  podtrace report ./bundle                  percentiles per phase, node, namespace, owner
  podtrace report ./bundle --slo upstream   exit 1 when p99 startup_sli > 5 s
  podtrace report ./bundle --slo 'scheduling:p99<=250ms' --slo-file thresholds.yml
  podtrace report ./bundle --charts charts/ --html report.html
  podtrace report ./bundle --format markdown >> \"$GITHUB_STEP_SUMMARY\"";

pub const DIFF: &str = "\
Examples:
  podtrace diff ./before ./after            deltas per phase with intervals and a test
  podtrace diff ./before ./after --charts cdf/   overlaid CDFs (SVG and PNG)
  podtrace diff ./before ./after --format json";

pub const COMPLETIONS: &str = "\
Examples:
  podtrace completions bash > ~/.local/share/bash-completion/completions/podtrace
  podtrace completions zsh > ~/.zfunc/_podtrace    (with fpath+=~/.zfunc)
  podtrace completions fish > ~/.config/fish/completions/podtrace.fish";

pub const MAN: &str = "\
Examples:
  podtrace man | man -l -                   read it now
  podtrace man --dir /usr/local/share/man/man1   podtrace.1 and a page per command";

#[cfg(test)]
mod tests {
    /// Every example is a command line that the parser takes as written: an example that names
    /// a flag that was renamed fails here, not in a newcomer's terminal.
    #[test]
    fn every_example_parses() {
        let mut checked = 0;
        for text in [
            super::TOP,
            super::ANALYZE,
            super::INSPECT,
            super::SIMULATE,
            super::TRACE,
            super::REPORT,
            super::DIFF,
            super::COMPLETIONS,
            super::MAN,
            super::FOLLOW,
            super::EXTRACT,
            super::BUILD,
            super::PARTITION,
        ] {
            // `journalctl -f … | podtrace follow -`: podtrace's part of a pipeline.
            let lines = text.lines().filter_map(|l| {
                if l.starts_with("  podtrace ") {
                    Some(l)
                } else {
                    l.find("| podtrace ").map(|i| &l[i + 1..])
                }
            });
            for line in lines {
                // The command ends where the shell takes over (a pipe or a redirection) or where
                // the explanation starts (two spaces).
                let cmd = line.trim_start();
                let cmd = cmd.split("  ").next().unwrap();
                let args: Vec<String> = cmd
                    .split_whitespace()
                    .take_while(|w| !matches!(*w, "|" | ">" | ">>"))
                    .map(|w| w.trim_matches(|c| c == '\'' || c == '"').to_owned())
                    .collect();
                if let Err(e) = crate::cli::command_for(None).try_get_matches_from(&args) {
                    panic!("{line:?} does not parse: {e}");
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 55);
    }
}
