// The ENA device interface as C++ types: include this to get all of it.
#pragma once

#include "admin.hpp"
#include "aenq.hpp"
#include "bits.hpp"
#include "io.hpp"
#include "llq.hpp"
#include "registers.hpp"
#include "rings.hpp"
