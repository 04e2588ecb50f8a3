//! The receiver's request threads yield the CPU to its writer.
//!
//! The writer is the receiver's one serial stage: every span waits for its commit. On a busy
//! machine (two cores, the TUI and the sender beside it) the request threads, which decode and
//! compress in parallel, kept the writer waiting for a CPU: with the TUI open it spent 14% of a
//! run runnable but not running (`/proc/PID/task/TID/schedstat`). A lower priority for the
//! request threads (nice +10: a tenth of the writer's weight) lets the writer run first whenever
//! both are ready, and the request threads still use what the writer leaves. With the TUI open,
//! three alternated pairs of 60 s runs made 20.8k, 23.0k and 20.9k spans/s against 19.4k,
//! 18.6k and 15.7k at equal priority; headless, one pair was equal (18.8k).
//! Lowering a thread's own priority needs no privilege. Linux only: there, a priority set on a
//! thread id applies to that thread; elsewhere it would apply to the whole process.

/// How much nicer than the writer the request threads are.
const REQUEST_THREAD_NICE: i32 = 10;

/// Lowers the calling thread's priority (a runtime's `on_thread_start`); a failure only leaves
/// it as it was.
pub fn request_thread_started() {
    #[cfg(target_os = "linux")]
    {
        let tid = this_thread();
        // SAFETY: getpriority and setpriority take plain integers and touch no memory of ours.
        let current = unsafe { libc::getpriority(libc::PRIO_PROCESS, tid) };
        // SAFETY: as above.
        let r =
            unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, current + REQUEST_THREAD_NICE) };
        if r != 0 {
            tracing::debug!(
                "listen: request thread priority unchanged: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

#[cfg(target_os = "linux")]
fn this_thread() -> libc::id_t {
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    tid as libc::id_t
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn nice() -> i32 {
        // SAFETY: as in `request_thread_started`.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, this_thread()) }
    }

    #[test]
    fn a_request_thread_is_nicer_than_the_thread_that_started_it() {
        let before = nice();
        let (inside, after) = std::thread::spawn(move || {
            let inherited = nice();
            request_thread_started();
            (inherited, nice())
        })
        .join()
        .unwrap_or_else(|_| panic!("the thread panicked"));
        assert_eq!(
            inside, before,
            "a new thread starts at its creator's priority"
        );
        // The highest niceness is 19: a test run already at 10 or more stops there.
        assert_eq!(after, (before + REQUEST_THREAD_NICE).min(19));
        assert_eq!(nice(), before, "only the request thread changed");
    }
}
