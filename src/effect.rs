//! Effects without their generics.

use leptos::prelude::*;

/// Runs `f` now and again whenever a signal it read changes: `Effect::new(move |_| f())`, but one
/// copy of the effect's machinery (an async task per effect) for every use instead of one per
/// closure.
pub fn effect(f: impl Fn() + 'static) {
    let f: Box<dyn Fn()> = Box::new(f);
    Effect::new(move |_| f());
}
