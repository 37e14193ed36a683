// growing_ring: a double-ended sequence in one buffer that grows and gives memory back.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <new>
#include <utility>
#include <vector>

namespace sv {

/// A sequence of T in one ring buffer: O(1) amortized push_back and pop_front,
/// random access, and insert/erase in the middle by shifting the tail (O(n)).
/// The buffer doubles when full, halves once at most a quarter of it is used,
/// and is freed when the ring becomes empty, so memory follows the size: it holds
/// no buffer while empty and at most about four times what it holds otherwise
/// (twice in steady state). Exact accounting: `capacity_bytes`.
///
/// For the rolling windows' buckets and queues, which hold a few entries for a
/// quiet symbol and up to a day of seconds for a busy one. T must be default
/// constructible and copy or move assignable. Not thread-safe.
template <class T>
class growing_ring {
public:
  /// Slots of the first buffer, and the size below which it does not shrink.
  static constexpr std::size_t slots_min = 8;
  static_assert((slots_min & (slots_min - 1)) == 0, "a power of two");

  [[nodiscard]] std::size_t size() const noexcept {
    return size_;
  }
  [[nodiscard]] bool empty() const noexcept {
    return size_ == 0;
  }
  [[nodiscard]] const T& operator[](std::size_t i) const noexcept {
    assert(i < size_);
    return buf_[slot(i)];
  }
  [[nodiscard]] T& operator[](std::size_t i) noexcept {
    assert(i < size_);
    return buf_[slot(i)];
  }
  [[nodiscard]] const T& front() const noexcept {
    return (*this)[0];
  }
  [[nodiscard]] const T& back() const noexcept {
    return (*this)[size_ - 1];
  }
  [[nodiscard]] T& back() noexcept {
    return (*this)[size_ - 1];
  }
  /// Bytes of the buffer (its slots, used or not).
  [[nodiscard]] std::size_t capacity_bytes() const noexcept {
    return buf_.capacity() * sizeof(T);
  }

  /// Appends `x`; may grow the buffer (std::bad_alloc).
  void push_back(T x) {
    insert(size_, std::move(x));
  }

  /// Inserts `x` before entry i (i == size() appends): entries [i, size) move
  /// one back. May grow the buffer (std::bad_alloc); on failure nothing changed.
  void insert(std::size_t i, T x) {
    assert(i <= size_);
    if (size_ == buf_.size())
      reallocate(std::max(slots_min, 2 * size_));
    for (auto k = size_; k > i; --k)
      buf_[slot(k)] = std::move(buf_[slot(k - 1)]);
    buf_[slot(i)] = std::move(x);
    ++size_;
  }

  /// Removes entries [first, last): the entries after them move forward.
  void erase(std::size_t first, std::size_t last) noexcept {
    assert(first <= last && last <= size_);
    auto removed = last - first;
    for (auto k = last; k < size_; ++k)
      buf_[slot(k - removed)] = std::move(buf_[slot(k)]);
    size_ -= removed;
    shrink_if_sparse();
  }

  /// Removes the first entry.
  void pop_front() noexcept {
    assert(size_ > 0);
    buf_[head_] = T{}; // release what the entry held
    head_ = slot(1);
    --size_;
    shrink_if_sparse();
  }

  /// Removes every entry and frees the buffer.
  void clear() noexcept {
    std::vector<T>().swap(buf_);
    head_ = 0;
    size_ = 0;
  }

private:
  /// The slot of entry i: the buffer's size is a power of two (slots_min,
  /// doubled or halved), so a mask wraps it.
  [[nodiscard]] std::size_t slot(std::size_t i) const noexcept {
    return (head_ + i) & (buf_.size() - 1);
  }

  /// Moves the entries, first to last, into a new buffer of `slots` (>= size()).
  void reallocate(std::size_t slots) {
    assert(slots >= size_ && (slots & (slots - 1)) == 0);
    std::vector<T> next(slots);
    for (std::size_t k = 0; k < size_; ++k)
      next[k] = std::move(buf_[slot(k)]);
    buf_.swap(next);
    head_ = 0;
  }

  /// Empty: free the buffer. At most a quarter used: halve it. Failing to
  /// allocate the smaller buffer only keeps the larger one, so this never throws.
  void shrink_if_sparse() noexcept {
    if (size_ == 0) {
      clear();
      return;
    }
    auto slots = buf_.size();
    if (slots <= slots_min || size_ * 4 > slots)
      return;
    try {
      reallocate(slots / 2);
    } catch (const std::bad_alloc&) {
      // keep the larger buffer
    }
  }

  std::vector<T> buf_;   ///< the slots; buf_.size() is the capacity of the ring
  std::size_t head_ = 0; ///< slot of entry 0
  std::size_t size_ = 0; ///< entries held
};

} // namespace sv
