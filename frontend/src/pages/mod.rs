//! One module per route.

pub mod cluster;
pub mod clusters;
pub mod compliance;
pub mod login;
pub mod playground;
pub mod reports;
pub mod settings;
