package org.mtflow.engine.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mtflow.engine.spec.ErrorClass;
import org.mtflow.engine.testkit.TestNodes;

class NodeCatalogTest {

    @Test
    void findsTypesByNameInRegistrationOrder() {
        NodeCatalog catalog = TestNodes.catalog();
        assertEquals("test.sum", catalog.find("test.sum").orElseThrow().name());
        assertTrue(catalog.find("test.nope").isEmpty());
        assertEquals(List.of("test.source", "test.scale", "test.sum"), catalog.names().stream().limit(3).toList());
        assertEquals(catalog.names().size(), catalog.all().size());
    }

    @Test
    void twoTypesWithOneNameAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NodeCatalog(List.of(new TestNodes.Sum(), new TestNodes.Sum())));
        assertTrue(e.getMessage().contains("test.sum"), e.getMessage());
    }

    @Test
    void nodeExceptionsCarryTheirClass() {
        assertEquals(ErrorClass.PERMANENT, NodeException.permanent("x").errorClass());
        assertEquals(ErrorClass.TRANSIENT, NodeException.transientError("x").errorClass());
        assertEquals(ErrorClass.OOM, new NodeException(ErrorClass.OOM, "x", new OutOfMemoryError()).errorClass());
    }
}
