// Objects placed in DPDK memory on a chosen NUMA socket (queues live next to their lcore).
#pragma once

#include <new>
#include <utility>

#include <rte_common.h>
#include <rte_malloc.h>

namespace ena::ng {

template <typename T, typename... Args>
T* create_on_socket(int socket, Args&&... args) {
    static_assert(alignof(T) <= RTE_CACHE_LINE_SIZE);
    void* memory = rte_zmalloc_socket(nullptr, sizeof(T), RTE_CACHE_LINE_SIZE, socket);
    if (memory == nullptr)
        memory = rte_zmalloc(nullptr, sizeof(T), RTE_CACHE_LINE_SIZE);
    if (memory == nullptr)
        return nullptr;
    return new (memory) T(std::forward<Args>(args)...);
}

template <typename T>
void destroy_on_socket(T* object) {
    if (object == nullptr)
        return;
    object->~T();
    rte_free(object);
}

// A zeroed array of `count` T in DPDK memory.
template <typename T>
T* array_on_socket(std::size_t count, int socket) {
    void* memory = rte_zmalloc_socket(nullptr, sizeof(T) * count, RTE_CACHE_LINE_SIZE, socket);
    if (memory == nullptr)
        memory = rte_zmalloc(nullptr, sizeof(T) * count, RTE_CACHE_LINE_SIZE);
    return static_cast<T*>(memory);
}

}  // namespace ena::ng
