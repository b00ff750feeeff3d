// RAII holders for libsignal-protocol-c objects, in place of its SIGNAL_REF/UNREF macros (which
// crash when used on the wrong kind of object). Include from .cpp files of bot/signal only.
#pragma once

#include <signal_protocol.h>

#include <memory>

namespace gvo::signal {

// Reference-counted library objects (keys, records, messages, bundles).
struct Unref {
  void operator()(void* object) const {
    if (object != nullptr) signal_type_unref(static_cast<signal_type_base*>(object));
  }
};
template <typename T>
using Ref = std::unique_ptr<T, Unref>;

struct BufferFree {
  void operator()(signal_buffer* buffer) const { signal_buffer_bzero_free(buffer); }
};
using Buffer = std::unique_ptr<signal_buffer, BufferFree>;

}  // namespace gvo::signal
