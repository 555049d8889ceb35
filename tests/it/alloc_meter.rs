//! A counting allocator for the whole test binary: heap in use and its peak, per thread, so that
//! a test can measure what one call allocates on its own thread while other tests run beside it
//! (issue 17: memory bounds asserted, not only measured once).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct Meter;

thread_local! {
    // Const-initialised: reading them never allocates (the allocator must not recurse).
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn add(delta: isize) {
    // `try_with`: during a thread's teardown the counters may be gone; the count is then lost.
    let _ = LIVE.try_with(|live| {
        let v = live.get() + delta;
        live.set(v);
        let _ = PEAK.try_with(|p| {
            if v > p.get() {
                p.set(v);
            }
        });
    });
}

fn size(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

// SAFETY: every call is passed to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: the caller's layout, passed on.
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            add(size(l.size()));
        }
        p
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let p = unsafe { System.alloc_zeroed(l) };
        if !p.is_null() {
            add(size(l.size()));
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` came from this allocator, that is from `System`, with this layout.
        unsafe { System.dealloc(p, l) };
        add(-size(l.size()));
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `dealloc`; the new size is the caller's.
        let q = unsafe { System.realloc(p, l, new_size) };
        if !q.is_null() {
            add(size(new_size) - size(l.size()));
        }
        q
    }
}

#[global_allocator]
static METER: Meter = Meter;

/// Runs `f` and returns its result with the peak heap it added on this thread (bytes above what
/// was in use when it started).
#[cfg_attr(not(feature = "otlp"), allow(dead_code))]
pub fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    let peak = PEAK.with(Cell::get);
    (r, usize::try_from(peak - base).unwrap_or(0))
}
