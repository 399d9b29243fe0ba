#pragma once
// The files of uploads ("livraisons") on disk: <root>/<upload id>/<path>. Every path a client
// names is validated before anything touches the disk (relative, no "..", no "." or empty
// segments, no control or reserved characters, bounded lengths), the directories on the way must
// be real directories inside the upload (no symlink can lead out), and the bytes are counted
// against a byte budget before and while they are written (the budget is the datastore's upload
// quota minus what it already holds).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace geoplex::catalog::detail {

struct UploadLimits {
    std::uint64_t max_file_bytes = std::uint64_t{5} << 30U;  ///< one file (5 GiB)
    std::size_t max_path_bytes = 512;                        ///< whole relative path
    std::size_t max_segment_bytes = 255;                     ///< one segment
    std::size_t max_depth = 16;                              ///< segments
};

struct TreeEntry {
    std::string path;    ///< relative, '/'-separated
    bool directory = false;
    std::uint64_t size = 0;  ///< file bytes, or the sum below a directory
};

struct Md5Result {
    std::string file;      ///< the checked file (the .md5's name without the suffix)
    bool ok = false;
    std::string message;   ///< why not
};

class UploadArea {
public:
    explicit UploadArea(std::filesystem::path root, UploadLimits limits = {});

    /// The normalized relative path, or throws InvalidArgument saying what is wrong with `path`.
    [[nodiscard]] std::string validate_path(std::string_view path) const;

    /// Where upload `id` lives (created on demand by write()). `id` must be a store id
    /// (letters, digits, '-'); anything else throws InvalidArgument.
    [[nodiscard]] std::filesystem::path dir(std::string_view id) const;

    /// Reads chunks from `next` (returns false at the end) into <upload>/<path>, replacing a file
    /// already there. `declared` (the request's Content-Length) is checked against the budget
    /// before anything is written; the running total is checked again while writing. Over the
    /// budget → Error(limit_exceeded) and the previous state of the upload is kept (the data is
    /// written to a temporary file and renamed at the end). `budget` counts the bytes the upload may
    /// still grow by; a replaced file's old size is given back. Returns the bytes written.
    std::uint64_t write(std::string_view id, std::string_view path, std::optional<std::uint64_t> declared,
                        std::uint64_t budget, const std::function<bool(std::string& chunk)>& next) const;
    /// Convenience: the whole body at once.
    std::uint64_t write(std::string_view id, std::string_view path, std::string_view bytes, std::uint64_t budget) const;

    /// Removes one file (path validated); false when it was not there.
    bool remove_file(std::string_view id, std::string_view path) const;
    /// Every file and directory of the upload, sorted by path.
    [[nodiscard]] std::vector<TreeEntry> tree(std::string_view id) const;
    /// Bytes of every file of the upload.
    [[nodiscard]] std::uint64_t size(std::string_view id) const;
    /// Checks every "<file>.md5" of the upload against its file (first hex token of the .md5).
    [[nodiscard]] std::vector<Md5Result> verify_md5(std::string_view id) const;
    /// Deletes the upload's directory.
    void remove(std::string_view id) const;

    [[nodiscard]] const std::filesystem::path& root() const noexcept { return m_root; }

private:
    std::filesystem::path m_root;
    UploadLimits m_limits;
};

/// Bytes of every regular file below `dir` (0 when it does not exist). Symlinks are not followed.
[[nodiscard]] std::uint64_t directory_size(const std::filesystem::path& dir);

}  // namespace geoplex::catalog::detail
