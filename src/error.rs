//! The top-level error of a command, and its exit code.

use crate::{privacy, server, warehouse};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Warehouse(#[from] warehouse::Error),
    #[error(transparent)]
    Server(#[from] server::Error),
    #[error(transparent)]
    InvalidK(#[from] privacy::kanon::InvalidK),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// 2 when the user can fix it by changing their input, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        let input = match self {
            Error::Warehouse(e) => e.is_input_error(),
            Error::Server(e) => !matches!(e, server::Error::Serve(_)),
            Error::InvalidK(_) => true,
            Error::Io(_) => false,
        };
        if input { 2 } else { 1 }
    }
}
