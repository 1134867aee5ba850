//! One module per route.

pub mod playground;
