//! The handle that keeps a callback registered.

use std::rc::Weak;

use crate::hub::Hub;

/// A registered callback. Dropping it removes the listener.
///
/// A `Listener` does not keep the connection open: once the
/// [`EventSource`](crate::EventSource) and its streams are gone, the callback
/// stops, whether or not the `Listener` is still held.
#[derive(Debug)]
#[must_use = "the callback is removed as soon as the Listener is dropped"]
pub struct Listener {
    hub: Weak<Hub>,
    id: u32,
}

impl Listener {
    pub(crate) fn new(hub: Weak<Hub>, id: u32) -> Self {
        Listener { hub, id }
    }

    /// Keeps the callback registered for as long as the connection lives,
    /// without holding this handle. Unlike `forget`, this does not leak: the
    /// callback is freed when the source closes for good and is dropped.
    pub fn detach(mut self) {
        self.hub = Weak::new();
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.remove(self.id);
        }
    }
}
