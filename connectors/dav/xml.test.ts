import { preconditions } from './xml.js';

describe('DAV error bodies', () => {
  it('name the failed precondition and keep the server’s own words (Cyrus responsedescription, sabre message)', () => {
    const cyrus = '<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><C:valid-calendar-object-resource/>'
      + '<D:responsedescription>Mismatched UIDs in calendar object</D:responsedescription></D:error>';
    expect(preconditions(cyrus)).toEqual(['valid-calendar-object-resource', 'Mismatched UIDs in calendar object']);
    const sabre = '<?xml version="1.0"?><d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"><s:sabredav-version>4.6.0</s:sabredav-version>'
      + '<s:exception>Sabre\\DAV\\Exception\\UnsupportedMediaType</s:exception><s:message>Validation error in iCalendar: The UID property must appear in the VEVENT component exactly 1 times</s:message></d:error>';
    expect(preconditions(sabre)).toContain('Validation error in iCalendar: The UID property must appear in the VEVENT component exactly 1 times');
    expect(preconditions('<html>502</html>')).toEqual([]);
  });
});
