import { outcomeEventId } from './audit-event-id.js';

describe('outcomeEventId', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('is a UUID, the same for the same work and type', () => {
    const id = outcomeEventId('3f0c6a52-5d7e-4a58-9f53-0c1e8f4a2b11', 'request.completed');
    expect(id).toMatch(UUID);
    expect(outcomeEventId('3f0c6a52-5d7e-4a58-9f53-0c1e8f4a2b11', 'request.completed')).toBe(id);
  });

  it('differs by work and by type', () => {
    const a = outcomeEventId('job-a', 'request.completed');
    expect(outcomeEventId('job-b', 'request.completed')).not.toBe(a);
    expect(outcomeEventId('job-a', 'job.completed')).not.toBe(a);
  });
});
