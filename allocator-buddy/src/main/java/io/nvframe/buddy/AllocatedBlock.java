package io.nvframe.buddy;

/**
 * An allocated block as its head's frame word records it: the head frame number, the order, the
 * generation and the owner tag.
 *
 * @param pfn the head frame number
 * @param order the block's order (2^order frames)
 * @param generation the head's generation
 * @param owner the owner tag, 0 for none
 */
public record AllocatedBlock(long pfn, int order, int generation, long owner) {}
