mod auth;
mod errors;
mod forms;
mod health;
mod helpers;
mod records;
mod static_files;
mod sync;
