//! Helpers for the crate's unit tests.

/// CPU time of the calling thread, in seconds: unlike wall time, other processes on a loaded
/// machine do not add to it.
pub(crate) fn thread_cpu_seconds() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec to write; the clock id is a constant Linux and macOS
    // both define.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9
}

/// How much longer `run(10 * n)` takes than `run(n)`, in CPU time: about 10 when the work is
/// linear in `n`, 100 when it is quadratic. Each size runs 5 times, interleaved, and the
/// fastest run counts. Other processes still disturb caches, so a ratio above [`MAX_GROWTH`]
/// is measured again, twice at most: a quadratic cost is above it every time.
pub(crate) fn growth<T>(run: impl Fn(usize) -> T, n: usize) -> f64 {
    let time = |size: usize| {
        let started = thread_cpu_seconds();
        std::hint::black_box(run(size));
        thread_cpu_seconds() - started
    };
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let (mut small, mut large) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..5 {
            small = small.min(time(n));
            large = large.min(time(10 * n));
        }
        best = best.min(large / small.max(1e-9));
        if best < MAX_GROWTH {
            break;
        }
    }
    best
}

/// The largest growth a linear cost shows at 10x the input, with room for noise.
pub(crate) const MAX_GROWTH: f64 = 12.0;
