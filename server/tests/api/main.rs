mod auth;
mod errors;
mod health;
mod helpers;
mod records;
mod static_files;
mod sync;
