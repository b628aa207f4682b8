// Typed errors thrown by core. Messages name the file, the field and what was expected, so a
// user can act on them; the CLI prints them as one line and the GUI shows them on the run.
#pragma once
#include <stdexcept>
#include <string>

namespace ctd {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A file that is missing, unreadable or unwritable.
class IoError : public Error {
public:
    using Error::Error;
};

// A file whose content does not follow its format (JSON, safetensors, dataset records...).
class FormatError : public Error {
public:
    using Error::Error;
};

// A value that is well-formed but not acceptable (unknown option, inconsistent config...).
class ConfigError : public Error {
public:
    using Error::Error;
};

// Cancelled through a stop flag or progress callback.
class Cancelled : public Error {
public:
    using Error::Error;
};

}  // namespace ctd
