// XML text for the query protocol's replies.
export function escapeXml(text: string): string {
  return text.replace(/[<>&"'\r]/g, (c) => ESCAPES[c] as string)
}

const ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' }

export function el(name: string, content: string): string {
  return `<${name}>${content}</${name}>`
}

export function text(name: string, value: unknown): string {
  return el(name, escapeXml(String(value)))
}

export function xmlErrorResponse(namespace: string, type: string, code: string, message: string, requestId: string): string {
  return `<?xml version="1.0"?><ErrorResponse xmlns="${namespace}">${el('Error', text('Type', type) + text('Code', code) + text('Message', message) + '<Detail/>')}${text('RequestId', requestId)}</ErrorResponse>`
}

export function xmlResponse(namespace: string, action: string, result: string, requestId: string): string {
  const body = result === '' ? '' : el(`${action}Result`, result)
  return `<?xml version="1.0"?><${action}Response xmlns="${namespace}">${body}${el('ResponseMetadata', text('RequestId', requestId))}</${action}Response>`
}
