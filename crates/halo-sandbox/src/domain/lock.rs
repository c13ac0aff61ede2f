//! Locking a mutex whose previous holder may have panicked.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, recovering the data if a previous holder panicked (every value locked here
/// is left consistent by each step: a journal, a token map, a cache, an SQLite connection).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
