//! Canary Console, the browser app: a Leptos front-end over `canary-core`.
//!
//! [`App`] loads a data set (the embedded demo by default) through [`data`], has the core
//! compute everything shown (`canary_core::analysis`) and hands plain values to one component
//! per panel. Charts are drawn by [`charts`] into SVG strings that the components put into the
//! DOM.

pub mod api;
pub mod app;
pub mod charts;
pub mod clock;
pub mod components;
pub mod data;
pub mod effect;
pub mod session;
pub mod state;
pub mod storage;
pub mod team;

pub use app::App;
