//! Wardbook's phone app: mounts [`app::App`] on the page.

/// Calls to the server.
pub mod api;
/// The root component: session gate, router, banners.
pub mod app;
/// Small browser capabilities: ids, performance marks, storage, the service-worker update.
pub mod browser;
/// Every user-visible string, in Vietnamese and English.
pub mod i18n;
/// Routed pages, one per file.
pub mod pages;
/// App-wide state shared through context.
pub mod state;
/// IndexedDB: session, forms, drafts, records, outbox.
pub mod store;
/// The sync engine.
pub mod sync;

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(on_panic));
    leptos::mount::mount_to_body(app::App);
}

/// A panic aborts the WebAssembly instance, so the page can no longer do anything: the message
/// and where it happened go to the console (readably, with the JS stack), and the user is told
/// plainly to reload — everything saved is in IndexedDB and survives that.
fn on_panic(info: &std::panic::PanicHookInfo<'_>) {
    console_error_panic_hook::hook(info);
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    let Ok(notice) = body
        .owner_document()
        .map_or(Err(()), |d| d.create_element("div").map_err(drop))
    else {
        return;
    };
    notice.set_class_name("panic-notice");
    let _ = notice.set_attribute("role", "alert");
    notice.set_text_content(Some(
        "Ứng dụng gặp lỗi và phải tải lại. Dữ liệu đã lưu trên máy không bị mất. \
         / The app hit an error and must be reloaded. What you saved on this phone is kept.",
    ));
    let _ = body.prepend_with_node_1(&notice);
}
