//! The phone's addresses and moving between them. The phone has three pages and a few old
//! addresses, so it follows the address bar itself rather than through `leptos_router`, which
//! cost the phone's download more than the pages it served (see the commit that made this).

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Where the phone app is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Home,
    /// A record being filled in: its draft's id, and its form (the neighborhood report when the
    /// address names none).
    Report {
        id: String,
        form: Option<String>,
    },
    Devices,
    /// A desk page, reached with no network on a device that has not kept the desk.
    DeskUnavailable,
    /// The old address of a page that is in the desk app now, and where it is.
    Moved(String),
    NotFound,
}

impl Page {
    /// Reads an address: its path (`/report/<id>`) and its query string (`?form=…`, or empty).
    pub fn parse(path: &str, query: &str) -> Page {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [] => Page::Home,
            ["report", id] => Page::Report {
                id: (*id).to_owned(),
                form: query_value(query, "form"),
            },
            ["devices"] => Page::Devices,
            ["desk", ..] => Page::DeskUnavailable,
            ["ward"] => Page::Moved("/desk/records".into()),
            ["ward", id] => Page::Moved(format!("/desk/records/{id}")),
            ["admin", "forms"] => Page::Moved("/desk/forms".into()),
            ["admin", "people"] => Page::Moved("/desk/people".into()),
            ["audit"] => Page::Moved("/desk/audit".into()),
            _ => Page::NotFound,
        }
    }
}

/// The value of `key` in a query string such as `?form=fire_check&x=1`, percent-decoded.
fn query_value(query: &str, key: &str) -> Option<String> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| {
            let v = v.replace('+', " ");
            js_sys::decode_uri_component(&v).map_or(v, String::from)
        })
}

/// The phone's place in its pages: follows Back and Forward, and opens the app's own links
/// without loading the page again.
#[derive(Clone, Copy)]
pub struct Nav {
    page: Memo<Page>,
    address: RwSignal<(String, String)>,
}

impl Nav {
    /// Starts following the address bar, and offers itself to the pages ([`use_nav`]).
    pub fn start() -> Nav {
        let address = RwSignal::new(current_address());
        let page = Memo::new(move |_| address.with(|(path, query)| Page::parse(path, query)));
        let nav = Nav { page, address };
        // For the app's lifetime: the root never goes away.
        std::mem::forget(window_event_listener(ev::popstate, move |_| {
            address.set(current_address())
        }));
        std::mem::forget(window_event_listener(ev::click, move |e| {
            if let Some(href) = own_link(&e) {
                e.prevent_default();
                nav.go(&href);
            }
        }));
        provide_context(nav);
        nav
    }

    /// The page shown now (reactive).
    pub fn page(&self) -> Page {
        self.page.get()
    }

    /// Opens `to` (a path of this app), as a new entry in the history.
    pub fn go(&self, to: &str) {
        self.move_to(to, false);
    }

    /// Opens `to` in place of the current entry, so Back does not return here.
    pub fn replace(&self, to: &str) {
        self.move_to(to, true);
    }

    fn move_to(&self, to: &str, replace: bool) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Ok(history) = window.history() {
            let _ = if replace {
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to))
            } else {
                history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to))
            };
        }
        self.address.set(current_address());
        window.scroll_to_with_x_and_y(0.0, 0.0);
    }
}

/// The [`Nav`] the root started.
pub fn use_nav() -> Nav {
    expect_context::<Nav>()
}

fn current_address() -> (String, String) {
    let location = web_sys::window().map(|w| w.location());
    let get = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
        location
            .as_ref()
            .and_then(|l| f(l).ok())
            .unwrap_or_default()
    };
    (
        get(web_sys::Location::pathname),
        get(web_sys::Location::search),
    )
}

/// The path of a plain click on one of this app's own links, or `None` for anything the browser
/// should handle itself: another button or a modifier key (a new tab), a link to another site,
/// a download, a link with a target, or one marked `rel="external"` (the desk, a full load).
fn own_link(e: &web_sys::MouseEvent) -> Option<String> {
    if e.default_prevented()
        || e.button() != 0
        || e.meta_key()
        || e.ctrl_key()
        || e.shift_key()
        || e.alt_key()
    {
        return None;
    }
    let target: web_sys::Element = e.target()?.dyn_into().ok()?;
    let link = target.closest("a[href]").ok()??;
    let rel = link.get_attribute("rel").unwrap_or_default();
    if rel.split_whitespace().any(|r| r == "external")
        || link.has_attribute("target")
        || link.has_attribute("download")
    {
        return None;
    }
    let href = link.get_attribute("href")?;
    (href.starts_with('/') && !href.starts_with("//")).then_some(href)
}

#[cfg(test)]
mod tests {
    use super::Page;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn addresses_read_as_their_pages() {
        assert_eq!(Page::parse("/", ""), Page::Home);
        assert_eq!(Page::parse("", ""), Page::Home);
        assert_eq!(
            Page::parse("/report/0190a1b2", "?form=fire_check&x=1"),
            Page::Report {
                id: "0190a1b2".into(),
                form: Some("fire_check".into())
            }
        );
        assert_eq!(
            Page::parse("/report/0190a1b2/", ""),
            Page::Report {
                id: "0190a1b2".into(),
                form: None
            }
        );
        assert_eq!(Page::parse("/devices", ""), Page::Devices);
        assert_eq!(Page::parse("/desk/records/7", ""), Page::DeskUnavailable);
        assert_eq!(
            Page::parse("/ward/42", ""),
            Page::Moved("/desk/records/42".into())
        );
        assert_eq!(Page::parse("/audit", ""), Page::Moved("/desk/audit".into()));
        assert_eq!(
            Page::parse("/report/a", "?form=b%E1%BA%A3o+v%E1%BB%87"),
            Page::Report {
                id: "a".into(),
                form: Some("bảo vệ".into())
            }
        );
        assert_eq!(Page::parse("/report", ""), Page::NotFound);
        assert_eq!(Page::parse("/nowhere", ""), Page::NotFound);
    }
}
