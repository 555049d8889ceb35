//! Strings that live for the whole run, for the few `&'static str` fields of events and
//! warnings (a CNI plugin's name, a framing envelope's) when they are read back from an events
//! file (`podtrace build`): each distinct value is leaked once, so memory grows with the
//! distinct names (a handful, at most 4096), not with the events.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Deserializer};

/// `&'static str` under another name: serde's derive borrows a field written `&str` from its
/// input, which an events file read into memory cannot lend for `'static`.
pub type StaticStr = &'static str;

/// Distinct names kept at most (formats, CNI plugins, envelopes, mirror signs).
const MAX_NAMES: usize = 4096;

/// The one `&'static str` equal to `s` (or `(other)` once [`MAX_NAMES`] are kept).
///
/// Each thread first looks in its own copy of the names it has met: reading an events file on
/// every core interns a field of the most frequent events (a kube-proxy sync's mode), which
/// would otherwise take the shared lock once per event.
pub fn intern(s: &str) -> &'static str {
    thread_local! {
        static NEAR: std::cell::RefCell<HashSet<&'static str>> = Default::default();
    }
    if let Some(k) = NEAR.with(|n| n.borrow().get(s).copied()) {
        return k;
    }
    let k = intern_shared(s);
    // Only names kept for themselves: `(other)` stands for many.
    if k == s {
        NEAR.with(|n| n.borrow_mut().insert(k));
    }
    k
}

fn intern_shared(s: &str) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(k) = seen.get(s) {
        return k;
    }
    // The names a run meets are a handful; an events file that anyone could have written
    // could hold millions: past this many, others are one name, not more memory.
    if seen.len() >= MAX_NAMES {
        return "(other)";
    }
    let k: &'static str = Box::leak(s.to_owned().into_boxed_str());
    seen.insert(k);
    k
}

/// `#[serde(deserialize_with = "crate::intern::de")]` for a `&'static str` field.
pub fn de<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
    Ok(intern(&s))
}

/// [`de`] for an `Option<&'static str>` field.
pub fn de_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    let s = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
    Ok(s.map(|s| intern(&s)))
}

#[cfg(test)]
mod tests {
    /// One name is one allocation, whichever thread met it first and however often.
    #[test]
    fn a_name_is_kept_once_for_every_thread() {
        let here = super::intern("podtrace-intern-test");
        let there = std::thread::spawn(|| super::intern("podtrace-intern-test"))
            .join()
            .unwrap();
        assert!(std::ptr::eq(here, there));
        assert!(std::ptr::eq(here, super::intern("podtrace-intern-test")));
        assert_eq!(here, "podtrace-intern-test");
    }
}
