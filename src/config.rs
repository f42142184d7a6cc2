//! The only place environment variables are read.

/// Log filter: `SAFEHAVEN_LOG`, else `RUST_LOG`, in `tracing` env-filter syntax.
pub fn log_filter() -> Option<String> {
    std::env::var("SAFEHAVEN_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
}

/// Worker threads to use when none are given: the machine's available parallelism.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}
