//! A webhook receiver on loopback for the alert tests: it stores every alert message posted to
//! its `/hook`.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::http::StatusCode;
use daicho_alert::AlertMessage;

/// The messages received so far.
pub type Hooks = Arc<Mutex<Vec<AlertMessage>>>;

/// Starts the receiver; returns its URL and what it receives.
pub async fn webhook_receiver() -> (String, Hooks) {
    let hooks: Hooks = Arc::default();
    let store = Arc::clone(&hooks);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |Json(m): Json<AlertMessage>| {
            let store = Arc::clone(&store);
            async move {
                store.lock().unwrap().push(m);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, hooks)
}
