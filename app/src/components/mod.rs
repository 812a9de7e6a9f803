//! Pieces both front ends show: the language switch, the sync bar, the update banner and the
//! sign-in form. Nothing here is routed.

/// The VI / EN buttons.
pub mod lang_switch;
/// Sign-in: the page frame and the form (also used to sign in again after expiry).
pub mod login;
/// Records waiting, the oldest one's age, the last successful sync, and why sync stopped.
pub mod sync_bar;
/// "A new version is ready".
pub mod update_banner;

pub use lang_switch::LangSwitch;
pub use login::{Login, LoginForm};
pub use sync_bar::SyncBar;
pub use update_banner::UpdateBanner;
