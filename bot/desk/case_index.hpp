// How a rotation of the sealing key (storage/key_rotation.hpp) finds again what a case is found
// by: its centre and name keys, read from its intake as the desk reads them when filing it.
// Given to daemon::open_store at start-up; runs on the caller's thread, inside the rotation.
#pragma once

#include "storage/key_rotation.hpp"

namespace gvo::desk {

[[nodiscard]] storage::CaseIndexer case_indexer();

}  // namespace gvo::desk
