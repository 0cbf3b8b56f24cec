//! Entry point of the board: the dispatchers' and administrators' app, served at `/board/`.

fn main() {
    tenfour::mount_board();
}
