//! The literal prefilter: a line that holds none of the literals of the messages podtrace reads
//! is counted and skipped before UTF-8 validation and parsing (one Aho-Corasick pass over the
//! raw bytes). In real node journals most lines are leases, reconcilers and image events.
//!
//! Each source declares its literals beside its extractor (`src/sources/registry.rs`); a test
//! keeps the two in step by feeding every sample line through both paths.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

/// Every source's literals (`Source::literals` in `src/sources/`).
fn needles() -> Vec<&'static str> {
    crate::sources::registry::literals().collect()
}

enum Matcher {
    /// Teddy (SIMD, several literals per step), where the CPU has it.
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        match aho_corasick::packed::Config::new()
            .builder()
            .extend(needles())
            .build()
        {
            Some(s) => Matcher::Packed(s),
            None => Matcher::Automaton(AhoCorasick::new(needles()).expect("valid literals")),
        }
    })
}

/// Could this line hold a message podtrace reads?
#[inline]
pub fn may_matter(line: &[u8]) -> bool {
    match matcher() {
        Matcher::Packed(s) => s.find(line).is_some(),
        Matcher::Automaton(a) => a.is_match(line),
    }
}
