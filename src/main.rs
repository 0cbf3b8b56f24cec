//! Entry point of the PWA: mount the app, nothing else.

fn main() {
    tenfour::mount();
}
