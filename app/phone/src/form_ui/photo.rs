//! Taking photos for a form: the camera (or gallery) image is resized on the phone to at most
//! 1600 px on its longest side, encoded as JPEG, hashed (SHA-256, its name everywhere) and kept
//! as a Blob in IndexedDB until it is uploaded. The record holds only the reference.

use domain::form::MAX_PHOTO_SIDE;
use domain::value::PhotoRef;
use leptos::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use app::i18n::Msg;
use app::state::use_app;
use app::store;

/// JPEG quality after resizing: sharp enough to read a sign, about 200–500 KB at 1600 px.
const QUALITY: f64 = 0.82;

fn js_err(e: wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(&e, &"message".into())
                .ok()?
                .as_string()
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Resizes, encodes and hashes one picked image, and keeps it on the phone.
async fn take(file: web_sys::File) -> Result<Value, String> {
    let window = web_sys::window().ok_or("no window")?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(
        window
            .create_image_bitmap_with_blob(&file)
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?
    .unchecked_into();
    let (w, h) = (bitmap.width().max(1), bitmap.height().max(1));
    let scale = (f64::from(MAX_PHOTO_SIDE) / f64::from(w.max(h))).min(1.0);
    let (nw, nh) = (
        ((f64::from(w) * scale).round() as u32).clamp(1, MAX_PHOTO_SIDE),
        ((f64::from(h) * scale).round() as u32).clamp(1, MAX_PHOTO_SIDE),
    );
    let canvas = web_sys::OffscreenCanvas::new(nw, nh).map_err(js_err)?;
    let ctx: web_sys::OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(js_err)?
        .ok_or("no 2d context")?
        .unchecked_into();
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, f64::from(nw), f64::from(nh))
        .map_err(js_err)?;
    bitmap.close();
    let options = web_sys::ImageEncodeOptions::new();
    options.set_type("image/jpeg");
    options.set_quality(QUALITY);
    let blob: web_sys::Blob = JsFuture::from(
        canvas
            .convert_to_blob_with_options(&options)
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?
    .unchecked_into();
    let bytes =
        js_sys::Uint8Array::new(&JsFuture::from(blob.array_buffer()).await.map_err(js_err)?)
            .to_vec();
    let sha = hex::encode(Sha256::digest(&bytes));
    let reference = PhotoRef {
        sha256: sha,
        content_type: "image/jpeg".into(),
        bytes: bytes.len() as u64,
        width: nw,
        height: nh,
    };
    store::save_photo(&reference, &blob).await?;
    Ok(reference.to_value())
}

/// The picked photos of one field, with a button to add more and one to remove each.
#[component]
pub fn PhotoInput(
    id: String,
    value: Signal<Value>,
    on_change: Callback<Value>,
    max_count: u32,
) -> impl IntoView {
    let state = use_app();
    let busy = RwSignal::new(false);
    let multiple = max_count > 1;
    let problem = RwSignal::new(None::<String>);
    let list = move || value.with(|v| v.as_array().cloned().unwrap_or_default());
    let pending = use_context::<crate::form_ui::editor::Pending>();
    let picked = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let files: Vec<web_sys::File> = input
            .files()
            .map(|fl| (0..fl.length()).filter_map(|i| fl.get(i)).collect())
            .unwrap_or_default();
        input.set_value("");
        busy.set(true);
        problem.set(None);
        if let Some(p) = pending {
            p.0.update(|n| *n += 1);
        }
        leptos::task::spawn_local(async move {
            for file in files {
                let room = value
                    .try_with_untracked(|v| v.as_array().map_or(0, Vec::len) < max_count as usize);
                if room != Some(true) {
                    break;
                }
                match take(file).await {
                    Ok(reference) => {
                        // Read the list again: it may have changed while the photo was processed,
                        // and the field may be gone (the form was left): then stop quietly.
                        let Some(mut current) =
                            value.try_with_untracked(|v| v.as_array().cloned().unwrap_or_default())
                        else {
                            break;
                        };
                        if current.len() < max_count as usize && !current.contains(&reference) {
                            current.push(reference);
                        }
                        if on_change.try_run(Value::Array(current)).is_none() {
                            break;
                        }
                    }
                    Err(e) => {
                        leptos::logging::warn!("photo: {e}");
                        let _ = problem.try_set(Some(state.t(Msg::PhotoFailed).to_owned()));
                    }
                }
            }
            let _ = busy.try_set(false);
            if let Some(p) = pending {
                let _ = p.0.try_update(|n| *n = n.saturating_sub(1));
            }
        });
    };
    let remove = move |sha: String| {
        if !app::browser::confirm(state.t(Msg::ConfirmRemovePhoto)) {
            return;
        }
        let rest: Vec<Value> = list()
            .into_iter()
            .filter(|p| p["sha256"] != sha.as_str())
            .collect();
        on_change.run(if rest.is_empty() {
            Value::Null
        } else {
            Value::Array(rest)
        });
    };
    view! {
        <div class="photos">
            <ul class="thumbs">
                {move || list().into_iter().map(|p| {
                    let sha = p["sha256"].as_str().unwrap_or_default().to_owned();
                    let sha_rm = sha.clone();
                    view! {
                        <li>
                            <Thumb sha=sha.clone()/>
                            <button type="button" class="btn small ghost" on:click=move |_| remove(sha_rm.clone())>
                                {state.tr(Msg::RemovePhoto)}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <Show when=move || value.with(|v| v.as_array().map_or(0, Vec::len)) < max_count as usize>
                <div class="photo-buttons">
                    <label class="btn block photo-pick" class:disabled=move || busy.get()>
                        {move || if busy.get() { state.t(Msg::PhotoProcessing) } else { state.t(Msg::PhotoCamera) }}
                        <input id=id.clone() type="file" accept="image/*" capture="environment" class="visually-hidden"
                            disabled=move || busy.get() on:change=picked/>
                    </label>
                    <label class="btn block photo-pick" class:disabled=move || busy.get()>
                        {state.tr(Msg::PhotoGallery)}
                        <input type="file" accept="image/*" class="visually-hidden" data-testid=format!("{id}-gallery")
                            multiple=multiple disabled=move || busy.get() on:change=picked/>
                    </label>
                </div>
            </Show>
            {move || problem.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
        </div>
    }
}

/// A small preview of a photo kept on the phone. Its object URL is made when the image is
/// drawn and revoked with it, so a preview gone before its photo was read leaks nothing.
#[component]
fn Thumb(sha: String) -> impl IntoView {
    let blob = app::load::load(move || {
        let sha = sha.clone();
        async move { Some(store::photo(&sha).await.ok().flatten()?.blob) }
    });
    let url = move || {
        let u = web_sys::Url::create_object_url_with_blob(&blob.get().flatten()?).ok()?;
        let revoke = u.clone();
        on_cleanup(move || {
            let _ = web_sys::Url::revoke_object_url(&revoke);
        });
        Some(u)
    };
    view! {
        {move || url().map(|u| view! { <img class="thumb" src=u alt="" width="96" height="96"/> })}
    }
}
