//! Small browser capabilities. Failures become warnings, never panics.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// A UUIDv7 for a new record: made on the phone, sorts by creation time (sync rule 1).
/// (`uuid`'s own, with its `js` feature reading the browser's clock and randomness.)
pub fn new_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

/// `performance.mark(name)`, for the start-up benchmark.
pub fn mark(name: &str) {
    if let Some(perf) = web_sys::window().and_then(|w| w.performance()) {
        let _ = perf.mark(name);
    }
}

thread_local! {
    /// The answer to the request made at start, so [`persisted`] reports after it.
    static PERSIST_REQUEST: std::cell::RefCell<Option<js_sys::Promise>> =
        const { std::cell::RefCell::new(None) };
}

/// Asks the browser not to evict our data under storage pressure (sync rule 12); [`persisted`]
/// says whether it agreed.
pub fn request_persistence() {
    let Some(storage) = web_sys::window().map(|w| w.navigator().storage()) else {
        return;
    };
    if let Ok(promise) = storage.persist() {
        PERSIST_REQUEST.with(|p| *p.borrow_mut() = Some(promise.clone()));
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = wasm_bindgen_futures::JsFuture::from(promise).await {
                leptos::logging::warn!("storage.persist failed: {e:?}");
            }
        });
    }
}

/// Whether the browser keeps this site's data even when the phone runs out of space
/// (`navigator.storage.persisted()`), once the request made at start has been answered;
/// `None` when the browser cannot say.
pub async fn persisted() -> Option<bool> {
    let pending = PERSIST_REQUEST.with(|p| p.borrow().clone());
    if let Some(request) = pending {
        let _ = wasm_bindgen_futures::JsFuture::from(request).await;
    }
    let storage = web_sys::window()?.navigator().storage();
    wasm_bindgen_futures::JsFuture::from(storage.persisted().ok()?)
        .await
        .ok()?
        .as_bool()
}

/// Bytes used and available for this site, when the browser says.
pub async fn storage_estimate() -> Option<(f64, f64)> {
    let storage = web_sys::window()?.navigator().storage();
    let est = wasm_bindgen_futures::JsFuture::from(storage.estimate().ok()?)
        .await
        .ok()?;
    let est: web_sys::StorageEstimate = est.unchecked_into();
    Some((est.get_usage()?, est.get_quota()?))
}

/// Calls `callback` when `boot.js` reports that a new build is installed and waiting.
pub fn on_update_ready(callback: impl Fn() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let ready = js_sys::Reflect::get(&window, &"wardbookUpdateReady".into())
        .ok()
        .is_some_and(|v| v.is_truthy());
    if ready {
        callback();
    }
    let cb = Closure::<dyn Fn()>::new(callback);
    let _ = window.add_event_listener_with_callback("wardbook-update", cb.as_ref().unchecked_ref());
    cb.forget();
}

/// Asks the service worker to keep the desk app for offline use (done once it is cached; the
/// worker ignores repeats). Only desk roles' devices ask.
pub fn cache_desk() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(Ok(f)) = js_sys::Reflect::get(&window, &"wardbookCacheDesk".into())
        .map(|f| f.dyn_into::<js_sys::Function>())
    {
        let _ = f.call0(&JsValue::NULL);
    }
}

/// Leaves this app for `path` of the other one (a full page load, not the router's).
pub fn go_to(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
}

/// What the user did in the static sign-in form of the phone page (`#shell`, made to work by
/// `public/boot.js`) before the app had started: the app's own form takes it over.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ShellSignIn {
    pub username: String,
    pub password: String,
    /// "Đăng nhập" was pressed with both filled in.
    pub requested: bool,
    /// The field the user was typing in (`"username"` or `"password"`), to keep typing there.
    pub focus: Option<&'static str>,
}

thread_local! {
    static SHELL_SIGN_IN: std::cell::RefCell<Option<ShellSignIn>> =
        const { std::cell::RefCell::new(None) };
}

/// Takes away the frame the HTML draws before the app has loaded (`#shell`), keeping what was
/// typed into its sign-in form for [`shell_sign_in`]; the app draws its own in the same place.
pub fn take_static_shell() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(doc) = window.document() else {
        return;
    };
    let Some(shell) = doc.get_element_by_id("shell") else {
        return;
    };
    let value = |id: &str| {
        doc.get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|input| input.value())
            .unwrap_or_default()
    };
    let focus = doc.active_element().and_then(|e| match e.id().as_str() {
        "shell-username" => Some("username"),
        "shell-password" => Some("password"),
        _ => None,
    });
    let requested = js_sys::Reflect::get(&window, &"wardbookSignInRequested".into())
        .is_ok_and(|v| v.is_truthy());
    let typed = ShellSignIn {
        username: value("shell-username"),
        password: value("shell-password"),
        requested,
        focus,
    };
    shell.remove();
    if typed != ShellSignIn::default() {
        SHELL_SIGN_IN.with(|s| *s.borrow_mut() = Some(typed));
    }
}

/// What was typed into the static sign-in form, once (the first sign-in form shown takes it).
pub fn shell_sign_in() -> Option<ShellSignIn> {
    SHELL_SIGN_IN.with(|s| s.borrow_mut().take())
}

/// Puts the cursor at the end of the input `id`, as if the user had been typing there.
pub fn focus_input(id: &str) {
    if let Some(input) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
    {
        let _ = input.focus();
        let end = input.value().encode_utf16().count() as u32;
        let _ = input.set_selection_range(end, end);
    }
}

/// Remembers, for `public/boot.js`, whether someone is signed in on this device: a reload then
/// shows "loading" until their home is drawn, not a sign-in form that vanishes.
pub fn remember_signed_in(signed_in: bool) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = if signed_in {
            storage.set_item(SIGNED_IN_KEY, "1")
        } else {
            storage.remove_item(SIGNED_IN_KEY)
        };
    }
}

/// Also read by public/boot.js.
const SIGNED_IN_KEY: &str = "wardbook.signed-in";

/// Installs the panic hook both apps use: a panic aborts the WebAssembly instance, so the page
/// can no longer do anything. The message and where it happened go to the console (readably,
/// with the JS stack), and the user is told plainly to reload — everything saved is in
/// IndexedDB and survives that.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(on_panic));
}

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

/// Activates the waiting build; the page reloads when it takes over.
pub fn apply_update() {
    let Some(window) = web_sys::window() else {
        return;
    };
    match js_sys::Reflect::get(&window, &"wardbookApplyUpdate".into())
        .map(|f| f.dyn_into::<js_sys::Function>())
    {
        Ok(Ok(f)) => {
            let _ = f.call0(&JsValue::NULL);
        }
        _ => {
            let _ = window.location().reload();
        }
    }
}

/// Hands `contents` to the user as a file called `name` (the browser's download), with no
/// network: the file is made on the phone and given through a temporary object URL.
pub fn download(name: &str, mime: &str, contents: &str) -> Result<(), String> {
    let fail = |e: JsValue| format!("{e:?}");
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let parts = js_sys::Array::of1(&JsValue::from_str(contents));
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    download_blob(name, &blob)
}

/// Saves `blob` as a file named `name` (the browser's download).
pub fn download_blob(name: &str, blob: &web_sys::Blob) -> Result<(), String> {
    let fail = |e: JsValue| format!("{e:?}");
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(fail)?;
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(fail)?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    link.set_hidden(true);
    let body = document.body().ok_or("no body")?;
    body.append_child(&link).map_err(fail)?;
    link.click();
    link.remove();
    // The download has started reading the Blob by now; the URL goes a little later.
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}

/// `value` as indented JSON, through the browser's own `JSON.stringify` and the serializer the
/// API and the store use (a second one, `serde_json`'s, would add to the phone's download).
pub fn pretty_json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    let js = value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string())?;
    js_sys::JSON::stringify_with_replacer_and_space(&js, &JsValue::NULL, &JsValue::from(2))
        .map(String::from)
        .map_err(|e| format!("{e:?}"))
}

/// The bytes of a Blob (a photo kept on the phone).
pub async fn blob_bytes(blob: &web_sys::Blob) -> Result<Vec<u8>, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Standard base64 with padding (RFC 4648), for binary data inside JSON.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn confirm(message: &str) -> bool {
    web_sys::window()
        .and_then(|w| w.confirm_with_message(message).ok())
        .unwrap_or(false)
}

/// Why no position could be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpsError {
    /// The user or the browser refused location access.
    Denied,
    /// No fix in time (indoors, basement) or no location hardware.
    Unavailable,
}

/// One GPS fix as the form stores it: `{lat, lon, accuracy_m, at}`. Works with no network:
/// the phone's satellite receiver needs none.
pub async fn current_position() -> Result<domain::value::GpsFix, GpsError> {
    let geo = web_sys::window()
        .and_then(|w| w.navigator().geolocation().ok())
        .ok_or(GpsError::Unavailable)?;
    let options = web_sys::PositionOptions::new();
    options.set_enable_high_accuracy(true);
    options.set_timeout(60_000);
    options.set_maximum_age(0);
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        if let Err(e) = geo.get_current_position_with_error_callback_and_options(
            &resolve,
            Some(&reject),
            &options,
        ) {
            let _ = reject.call1(&JsValue::NULL, &e);
        }
    });
    let get =
        |o: &JsValue, k: &str| js_sys::Reflect::get(o, &k.into()).unwrap_or(JsValue::UNDEFINED);
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(pos) => {
            let coords = get(&pos, "coords");
            let (Some(lat), Some(lon), Some(acc)) = (
                get(&coords, "latitude").as_f64(),
                get(&coords, "longitude").as_f64(),
                get(&coords, "accuracy").as_f64(),
            ) else {
                return Err(GpsError::Unavailable);
            };
            let at = js_sys::Date::new(&get(&pos, "timestamp")).to_iso_string();
            Ok(domain::value::GpsFix::rounded(lat, lon, acc, at.into()))
        }
        // PositionError.code: 1 = permission denied, 2 = unavailable, 3 = timeout.
        Err(e) if get(&e, "code").as_f64() == Some(1.0) => Err(GpsError::Denied),
        Err(_) => Err(GpsError::Unavailable),
    }
}
