//! Bounds on what anyone who can reach the server may make it spend, before and after
//! logging in: password hashing (each argon2id hash takes 19 MiB and a core for a while),
//! login attempts per client address, connections and how long they may stay silent,
//! how long a request may take, and the memory uploads may hold. Each is a setting of
//! `rampart serve` (an option, a `RAMPART_*` variable or a key of the settings file).

use std::time::Duration;

/// The largest snapshot upload: the engine's own limit on one source
/// ([`rampart_core::Limits::max_source_bytes`]); a larger export is refused with 413.
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

/// File descriptors kept free of connections: the database pool, the key file, temporary
/// files, the SMTP and cluster connections the server opens itself.
pub const RESERVED_FILES: usize = 128;

/// Connections taken beyond `max_connections`, only to answer them 503 (and `/healthz`):
/// a full server says so instead of leaving clients hanging in the accept queue.
pub const OVERFLOW_CONNECTIONS: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Password hashes computed at once (logins, password changes); the default is the
    /// number of cores.
    pub concurrent_hashes: usize,
    /// Logins that may wait for a hashing slot; more are answered 503 with Retry-After.
    pub hash_queue: usize,
    /// Login attempts one client address may make per minute (IPv6: per /64); more are
    /// answered 429 with Retry-After.
    pub logins_per_address: u32,
    /// How long a connection may take to send a request's headers, counted from when the
    /// server starts waiting for them: on a new connection and on one kept alive after an
    /// answer (so it is also the idle timeout).
    pub header_read_timeout: Duration,
    /// How long a request may take until its answer starts (408 past it).
    pub request_timeout: Duration,
    /// The same for snapshot uploads, whose bodies are large.
    pub upload_timeout: Duration,
    /// Connections served at once; further ones get 503 (only `/healthz` is answered),
    /// and past [`OVERFLOW_CONNECTIONS`] more they are closed at once. Lowered at start to
    /// fit under the process's open-file limit.
    pub max_connections: usize,
    /// Bytes of snapshot uploads held in memory at once, from the first byte read until
    /// their scan ends; an upload that would exceed it is answered 503 with Retry-After.
    pub upload_memory: usize,
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        ServerLimits {
            concurrent_hashes: cores,
            hash_queue: 8 * cores,
            logins_per_address: 30,
            header_read_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(60),
            upload_timeout: Duration::from_secs(600),
            max_connections: 1024,
            upload_memory: 4 * UPLOAD_LIMIT,
        }
    }
}

impl ServerLimits {
    /// Refuses limits that would stop the server from working at all.
    pub fn check(&self) -> Result<(), String> {
        if self.concurrent_hashes == 0 || self.max_connections == 0 || self.logins_per_address == 0 {
            return Err("max-concurrent-logins, max-connections and logins-per-address are at least 1".to_string());
        }
        if self.header_read_timeout.is_zero() || self.request_timeout.is_zero() || self.upload_timeout.is_zero() {
            return Err("header-read-timeout, request-timeout and upload-timeout are longer than 0s".to_string());
        }
        if self.upload_memory < UPLOAD_LIMIT {
            return Err(format!("upload-memory is at least the largest upload, {} MiB", UPLOAD_LIMIT / (1024 * 1024)));
        }
        Ok(())
    }

    /// The connection cap that fits under an open-file limit of `open_files`, keeping
    /// [`RESERVED_FILES`] and the overflow connections free.
    pub fn connections_within(&self, open_files: Option<usize>) -> usize {
        match open_files {
            Some(limit) => self.max_connections.min(limit.saturating_sub(RESERVED_FILES + OVERFLOW_CONNECTIONS)).max(1),
            None => self.max_connections,
        }
    }
}

/// The process's soft limit on open files, where the system says (Linux's
/// `/proc/self/limits`).
pub fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_cap_fits_under_the_file_limit() {
        let limits = ServerLimits { max_connections: 1024, ..ServerLimits::default() };
        assert_eq!(limits.connections_within(Some(1024)), 1024 - RESERVED_FILES - OVERFLOW_CONNECTIONS);
        assert_eq!(limits.connections_within(Some(100_000)), 1024);
        assert_eq!(limits.connections_within(Some(10)), 1);
        assert_eq!(limits.connections_within(None), 1024);
        #[cfg(target_os = "linux")]
        assert!(open_file_limit().is_some_and(|limit| limit > 0));
    }

    #[test]
    fn limits_that_would_stop_the_server_are_refused() {
        assert!(ServerLimits::default().check().is_ok());
        assert!(ServerLimits { concurrent_hashes: 0, ..ServerLimits::default() }.check().is_err());
        assert!(ServerLimits { request_timeout: Duration::ZERO, ..ServerLimits::default() }.check().is_err());
        let error = ServerLimits { upload_memory: 1, ..ServerLimits::default() }.check().unwrap_err();
        assert!(error.contains("64 MiB"), "{error}");
    }
}
