package org.zodbcheck.check;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/** Class names seen in records, numbered so that an object's class costs an int. Thread-safe. */
final class ClassTable {
    private final ConcurrentHashMap<String, Integer> ids = new ConcurrentHashMap<>();
    private final List<String> names = new ArrayList<>();

    ClassTable() {
        names.add(null); // id 0: unknown
    }

    /** The id of {@code name}; 0 for {@code null}. */
    int id(String name) {
        if (name == null) {
            return 0;
        }
        Integer id = ids.get(name);
        return id != null ? id : add(name);
    }

    private synchronized int add(String name) {
        Integer id = ids.get(name);
        if (id == null) {
            id = names.size();
            names.add(name);
            ids.put(name, id);
        }
        return id;
    }

    synchronized String name(int id) {
        return names.get(id);
    }
}
