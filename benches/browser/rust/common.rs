//! What every Rust client of `npm run bench` exports, over a [`Client`]: a
//! way to open a source and get its events as a `Stream`. Each client crate
//! includes this file (`#[path = "../../common.rs"] mod common;`) and calls
//! `common::exports!(ItsClient);`, which defines:
//!
//! - `count(url, n)`: opens a source, reads `n` events of type `message` from
//!   the stream, closes it, and resolves to `[ms from construction to the n-th
//!   event, sum of data lengths]` (throughput, time to first event, and one
//!   open/close cycle);
//! - `liveBytes()`: what the Rust allocator has live;
//! - `Held`: a source left open, read by a spawned task that counts events
//!   (and records their type, data and last event ID when asked), for the
//!   memory run over many messages and for the spec-exactness vectors.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::{Stream, StreamExt};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The default allocator, counting the bytes it has live, so that the memory
/// run can tell what the Rust side keeps from the wasm memory's high-water
/// mark (which never shrinks). One add per allocation.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc(layout);
        if !pointer.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc_zeroed(layout);
        if !pointer.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        System.dealloc(pointer, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(pointer, layout, new_size);
        if !moved.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes the Rust allocator has live now.
pub fn live_bytes() -> f64 {
    LIVE.load(Ordering::Relaxed) as f64
}

/// One way to receive Server-Sent Events in Rust.
pub trait Client: 'static {
    /// What keeps the connection and closes it.
    type Source: 'static;
    /// One event as the stream yields it.
    type Item: 'static;
    /// The events of the requested types, in arrival order; `Err` for a
    /// failure the client reports.
    type Events: Stream<Item = Result<Self::Item, String>> + Unpin + 'static;

    fn open(url: &str, types: &[String]) -> Result<(Self::Source, Self::Events), String>;
    fn close(source: Self::Source);
    fn data_len(item: &Self::Item) -> usize;
    /// `[type, data, lastEventId]`.
    fn fields(item: &Self::Item) -> [String; 3];
}

/// `performance.now()`, in a window or a worker.
pub fn now() -> f64 {
    let global = js_sys::global();
    if let Some(window) = global.dyn_ref::<web_sys::Window>() {
        if let Some(performance) = window.performance() {
            return performance.now();
        }
    }
    if let Some(worker) = global.dyn_ref::<web_sys::WorkerGlobalScope>() {
        if let Some(performance) = worker.performance() {
            return performance.now();
        }
    }
    js_sys::Date::now()
}

/// See the module docs: `[elapsed ms, total data bytes]` for `n` events.
pub async fn count<C: Client>(url: &str, n: u32) -> Result<Box<[f64]>, JsError> {
    let start = now();
    let types = ["message".to_owned()];
    let (source, mut events) = C::open(url, &types).map_err(|e| JsError::new(&e))?;
    let mut count = 0u32;
    let mut bytes = 0usize;
    while count < n {
        match events.next().await {
            Some(Ok(item)) => {
                bytes += C::data_len(&item);
                count += 1;
            }
            Some(Err(error)) => {
                C::close(source);
                return Err(JsError::new(&format!("after {count} events: {error}")));
            }
            None => {
                return Err(JsError::new(&format!(
                    "the stream ended after {count} events"
                )))
            }
        }
    }
    let elapsed = now() - start;
    C::close(source);
    drop(events);
    Ok(vec![elapsed, bytes as f64].into_boxed_slice())
}

/// What the reading task of a [`Held`] source reports.
#[derive(Default)]
pub struct Tally {
    pub count: Cell<u32>,
    pub bytes: Cell<f64>,
    pub errors: Cell<u32>,
    pub last_error: RefCell<Option<String>>,
    /// Flat `[type, data, lastEventId, type, ...]`, when recording.
    pub events: RefCell<Vec<String>>,
    pub closed: Cell<bool>,
    pub ended: Cell<bool>,
}

/// A source left open, read by a spawned task.
pub struct Held<C: Client> {
    pub tally: Rc<Tally>,
    source: Option<C::Source>,
}

impl<C: Client> Held<C> {
    pub fn open(url: &str, types: Vec<String>, record: bool) -> Result<Self, JsError> {
        let (source, mut events) = C::open(url, &types).map_err(|e| JsError::new(&e))?;
        let tally = Rc::new(Tally::default());
        let shared = Rc::clone(&tally);
        wasm_bindgen_futures::spawn_local(async move {
            while let Some(item) = events.next().await {
                if shared.closed.get() {
                    break;
                }
                match item {
                    Ok(item) => {
                        shared.count.set(shared.count.get() + 1);
                        shared
                            .bytes
                            .set(shared.bytes.get() + C::data_len(&item) as f64);
                        if record {
                            shared.events.borrow_mut().extend(C::fields(&item));
                        }
                    }
                    Err(error) => {
                        shared.errors.set(shared.errors.get() + 1);
                        *shared.last_error.borrow_mut() = Some(error);
                    }
                }
            }
            shared.ended.set(true);
        });
        Ok(Held {
            tally,
            source: Some(source),
        })
    }

    pub fn close(&mut self) {
        self.tally.closed.set(true);
        if let Some(source) = self.source.take() {
            C::close(source);
        }
    }
}

/// The wasm-bindgen exports for one client type.
macro_rules! exports {
    ($client:ty) => {
        /// Bytes the Rust allocator has live (see common.rs).
        #[wasm_bindgen::prelude::wasm_bindgen(js_name = liveBytes)]
        pub fn live_bytes() -> f64 {
            common::live_bytes()
        }

        /// `[ms from construction to the n-th message event, data bytes]`.
        #[wasm_bindgen::prelude::wasm_bindgen]
        pub async fn count(url: String, n: u32) -> Result<Box<[f64]>, wasm_bindgen::JsError> {
            common::count::<$client>(&url, n).await
        }

        /// A source left open; see common.rs.
        #[wasm_bindgen::prelude::wasm_bindgen]
        pub struct Held(common::Held<$client>);

        #[wasm_bindgen::prelude::wasm_bindgen]
        impl Held {
            #[wasm_bindgen::prelude::wasm_bindgen(constructor)]
            pub fn new(
                url: String,
                types: Vec<String>,
                record: bool,
            ) -> Result<Held, wasm_bindgen::JsError> {
                common::Held::open(&url, types, record).map(Held)
            }

            pub fn count(&self) -> u32 {
                self.0.tally.count.get()
            }

            pub fn bytes(&self) -> f64 {
                self.0.tally.bytes.get()
            }

            pub fn errors(&self) -> u32 {
                self.0.tally.errors.get()
            }

            #[wasm_bindgen::prelude::wasm_bindgen(js_name = lastError)]
            pub fn last_error(&self) -> Option<String> {
                self.0.tally.last_error.borrow().clone()
            }

            /// The recorded events, flat: `[type, data, lastEventId, ...]`.
            pub fn events(&self) -> Vec<String> {
                self.0.tally.events.borrow().clone()
            }

            pub fn close(&mut self) {
                self.0.close();
            }
        }
    };
}
pub(crate) use exports;
