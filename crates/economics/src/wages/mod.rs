//! Wage data: the shipped OEWS table and the reader for a newer official file.

mod occupation_code;
mod oews_reader;
mod wage_entry;
mod wage_figure;
mod wage_table;

pub use occupation_code::OccupationCode;
pub use oews_reader::OewsReader;
pub use wage_entry::WageEntry;
pub use wage_figure::WageFigure;
pub use wage_table::WageTable;
