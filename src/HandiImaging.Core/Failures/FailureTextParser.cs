using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using HandiImaging.Core.IO;

namespace HandiImaging.Core.Failures
{
    /// <summary>
    /// Reads the ingestion team's failure text in every shape it arrives in (see domain.md, "Failure records"),
    /// line by line, and returns one <see cref="RawFailureRecord"/> per record or an
    /// <see cref="InputFormatException"/> naming the line of a record that cannot be read.
    /// </summary>
    /// <remarks>
    /// <para>The shapes can be mixed in one text, so nothing is decided per file. Each physical line is one of:
    /// a spreadsheet or CSV row whose cells hold doubled-quote JSON (recognised by <c>x"":</c>, which valid
    /// JSON never contains): its cells are split with CsvHelper and re-joined with the commas the export
    /// split at, giving back the original JSON; or plain text, which goes to a tolerant JSON tokenizer.</para>
    /// <para>The tokenizer accepts objects on one line or spread over many (pretty-printed arrays), missing or
    /// trailing commas, bare <c>"key":value</c> pairs outside braces, nested <c>patient</c> objects, arrays and
    /// objects under extra keys (skipped), numbers and other bare words (kept verbatim — Newtonsoft would read
    /// <c>0123</c> as octal), <c>null</c>, and single-quoted strings. A record that is broken is reported with
    /// the line it starts on; parsing resumes at the next record.</para>
    /// <para>Bare pairs: a line with two or more pairs is one record (a repeated key on the line starts the next
    /// record); lines with a single pair accumulate into one record until a blank line, a repeated key or
    /// another record shape.</para>
    /// <para>Push-based (<see cref="ParseLine"/> then <see cref="Complete"/>) so pipeline input given one line at
    /// a time parses exactly like a file; <see cref="Parse(TextReader, string)"/> streams a whole reader.</para>
    /// </remarks>
    public sealed class FailureTextParser
    {
        private enum Key { Unknown, Accession, Id, StudyDate, StudyDescription, Uid, Patient }
        private enum FrameKind { Record, Implicit, Patient, Skip }
        private enum Expect { Key, Colon, Value }
        private enum Tok { None, String, Word, OpenBrace, CloseBrace, OpenBracket, CloseBracket, Comma, Colon, Unterminated }

        private struct Frame
        {
            public FrameKind Kind;
            public Expect Expect;
            public Key Key;
            public int SkipDepth;
        }

        private sealed class Builder
        {
            public readonly string?[] Fields = new string?[5];
            public string? PatientId;
            public long StartLine;
            public int Pairs;
            public int KnownKeys; // bit set of Key values seen in this record
            public bool OpenedOnThisLine;
            public bool TokensAfterOpen;
            public string? Broken;
            public long BrokenLine;

            public void Reset(long line)
            {
                Array.Clear(Fields, 0, Fields.Length);
                PatientId = null;
                StartLine = line;
                Pairs = 0;
                KnownKeys = 0;
                OpenedOnThisLine = true;
                TokensAfterOpen = false;
                Broken = null;
                BrokenLine = 0;
            }
        }

        private static readonly CsvConfiguration TabCells = CellConfig("\t");
        private static readonly CsvConfiguration CommaCells = CellConfig(",");
        private static readonly CsvConfiguration SemicolonCells = CellConfig(";");

        private readonly string _source;
        private readonly List<Frame> _frames = new List<Frame>();
        private readonly StringBuilder _unescape = new StringBuilder();
        private Builder _rec = new Builder();
        private Builder _vertical = new Builder();
        private bool _verticalPending;
        private bool _recovering;
        private int _recoverDepth;
        private long _lineNumber;

        // Per-line state.
        private List<FailureReadItem<RawFailureRecord>> _out = new List<FailureReadItem<RawFailureRecord>>();
        private bool _productive;
        private int _junk;

        // Current token.
        private string _text = "";
        private int _pos;
        private int _tokStart;
        private int _tokLen;
        private bool _tokEscaped;

        public FailureTextParser(string source)
        {
            _source = source ?? throw new ArgumentNullException(nameof(source));
        }

        /// <summary>Name used in <see cref="RawFailureRecord.Source"/> and error messages (usually the file path).</summary>
        public string SourceName => _source;

        /// <summary>Physical lines read so far.</summary>
        public long LinesRead => _lineNumber;

        /// <summary>Lines skipped as column headings (no quotes, braces, colons or digits — e.g. "json").</summary>
        public int HeaderLinesSkipped { get; private set; }

        /// <summary>Parses every line of <paramref name="reader"/>, yielding records and errors as they complete.</summary>
        public static IEnumerable<FailureReadItem<RawFailureRecord>> Parse(TextReader reader, string source)
        {
            var parser = new FailureTextParser(source);
            var buffer = new List<FailureReadItem<RawFailureRecord>>();
            string? line;
            while ((line = reader.ReadLine()) != null)
            {
                parser.ParseLine(line, buffer);
                if (buffer.Count == 0) continue;
                foreach (var item in buffer) yield return item;
                buffer.Clear();
            }
            parser.Complete(buffer);
            foreach (var item in buffer) yield return item;
        }

        /// <summary>Parses a whole text (any newline convention).</summary>
        public static IEnumerable<FailureReadItem<RawFailureRecord>> Parse(string text, string source) =>
            Parse(new StringReader(text), source);

        /// <summary>Feeds the next physical line; completed records and errors are appended to <paramref name="output"/>.</summary>
        public void ParseLine(string line, List<FailureReadItem<RawFailureRecord>> output)
        {
            _out = output;
            _lineNumber++;
            line ??= "";
            var first = FirstNonSpace(line);
            if (first < 0)
            {
                // Blank: ends a record of one-pair lines; blank lines inside pretty JSON are harmless.
                FlushVertical();
                return;
            }

            if (IsDoubledQuoteLine(line))
            {
                if (_frames.Count > 0) AbandonOpenRecord("the next line starts a new record");
                FlushVertical();
                ParseLogicalLine(Undouble(line), 0);
                return;
            }

            if (_frames.Count == 0 && IsHeaderLike(line))
            {
                HeaderLinesSkipped++;
                return;
            }

            if (_frames.Count > 0 && (line[first] == '{' || line[first] == '['))
            {
                // A record still open when a line starts with a brace was truncated, unless the brace is an
                // element of an array being skipped or the value of a key.
                var top = _frames[_frames.Count - 1];
                if (top.Kind != FrameKind.Skip && top.Expect == Expect.Key) AbandonOpenRecord("the next line starts a new record");
            }

            ParseLogicalLine(line, first);
        }

        /// <summary>Ends the input: reports a record left open and emits pending bare pairs.</summary>
        public void Complete(List<FailureReadItem<RawFailureRecord>> output)
        {
            _out = output;
            if (_frames.Count > 0) AbandonOpenRecord("the input ends before the record is closed");
            FlushVertical();
        }

        // ---- line level -------------------------------------------------------------------------------------

        private void ParseLogicalLine(string text, int start)
        {
            _text = text;
            _pos = start;
            _productive = false;
            _junk = 0;
            if (_frames.Count > 0 && _frames[0].Kind == FrameKind.Record) _rec.OpenedOnThisLine = false;

            while (true)
            {
                var tok = Next();
                if (tok == Tok.None) break;
                if (tok == Tok.Unterminated)
                {
                    if (_frames.Count == 0) { _junk++; break; }
                    // Strings never span lines, so the rest of this line is lost. A one-line record ends here
                    // (EndOfLine reports it); a multi-line one is skipped to its closing brace.
                    MarkBroken("a quoted value is not closed on its line");
                    break;
                }
                if (_recovering) { Recover(tok); continue; }
                if (_frames.Count == 0) TopLevel(tok);
                else InFrame(tok);
            }

            EndOfLine();
        }

        private void EndOfLine()
        {
            if (_frames.Count > 0)
            {
                var bottom = _frames[0];
                if (bottom.Kind == FrameKind.Implicit)
                {
                    if (_frames.Count > 1) MarkBroken("a nested value is not closed on its line");
                    else if (bottom.Expect == Expect.Value) MarkBroken("a key has no value");
                    else if (bottom.Expect == Expect.Colon && _rec.Pairs > 0) MarkBroken("a key is not followed by ':'");
                    FinishImplicit();
                }
                else if (_rec.OpenedOnThisLine && _rec.TokensAfterOpen)
                {
                    // A record that began on this line with content after its brace is a one-line record
                    // (compact JSON, spreadsheet or CSV row); unclosed at the end of the line means truncated.
                    MarkBroken(_recovering ? _rec.Broken! : "the record is not closed on its line");
                    EndRecoveredRecord();
                }
            }
            if (!_productive && _junk > 0)
            {
                if (IsHeaderLike(_text, allowQuotes: true))
                {
                    HeaderLinesSkipped++;
                    return;
                }
                var plainRow = _text.IndexOf(':') < 0 && (_text.IndexOf(',') >= 0 || _text.IndexOf('\t') >= 0 || _text.IndexOf(';') >= 0);
                _out.Add(new FailureReadItem<RawFailureRecord>(new InputFormatException(_source, _lineNumber, null, plainRow
                    ? "this line looks like a plain CSV row: it has values but no keys, so which value is the accession number, date or UID cannot be known (expected JSON or \"key\":\"value\" pairs); nothing was read from it."
                    : "no failure record could be read from this line (expected JSON or \"key\":\"value\" pairs).") { Code = plainRow ? "FailureRecordWithoutKeys" : "UnreadableFailureRecord" }));
            }
        }

        // ---- token dispatch ---------------------------------------------------------------------------------

        private void TopLevel(Tok tok)
        {
            switch (tok)
            {
                case Tok.OpenBrace:
                    FlushVertical();
                    _rec.Reset(_lineNumber);
                    _frames.Add(new Frame { Kind = FrameKind.Record, Expect = Expect.Key });
                    _productive = true;
                    break;
                case Tok.OpenBracket:
                case Tok.CloseBracket:
                case Tok.Comma:
                    // Array punctuation between records; it reads nothing, so a line of bare values separated by
                    // commas (a plain CSV row, which has no keys) is still reported below.
                    break;
                case Tok.String:
                    // Possibly the key of a bare pair; confirmed when the colon follows.
                    _rec.Reset(_lineNumber);
                    _rec.TokensAfterOpen = true;
                    _frames.Add(new Frame { Kind = FrameKind.Implicit, Expect = Expect.Colon, Key = ClassifyKey() });
                    break;
                default:
                    _junk++;
                    break;
            }
        }

        private void InFrame(Tok tok)
        {
            var index = _frames.Count - 1;
            var frame = _frames[index];
            if (frame.Kind == FrameKind.Record) _rec.TokensAfterOpen |= _rec.OpenedOnThisLine;

            if (frame.Kind == FrameKind.Skip)
            {
                if (tok == Tok.OpenBrace || tok == Tok.OpenBracket) frame.SkipDepth++;
                else if (tok == Tok.CloseBrace || tok == Tok.CloseBracket) frame.SkipDepth--;
                if (frame.SkipDepth == 0) PopToParent();
                else _frames[index] = frame;
                return;
            }

            switch (frame.Expect)
            {
                case Expect.Key:
                    switch (tok)
                    {
                        case Tok.String:
                        case Tok.Word:
                            frame.Key = ClassifyKey();
                            if (frame.Kind == FrameKind.Implicit && index == 0 && IsField(frame.Key) && (_rec.KnownKeys & (1 << ((int)frame.Key - 1))) != 0)
                            {
                                // Bare pairs of several records on one line: a repeated key starts the next record.
                                var key = frame.Key;
                                FinishImplicit();
                                _rec.Reset(_lineNumber);
                                _rec.TokensAfterOpen = true;
                                _frames.Add(new Frame { Kind = FrameKind.Implicit, Expect = Expect.Colon, Key = key });
                                return;
                            }
                            frame.Expect = Expect.Colon;
                            _frames[index] = frame;
                            return;
                        case Tok.Comma:
                            return;
                        case Tok.CloseBrace:
                            if (frame.Kind == FrameKind.Implicit) { _junk++; return; } // stray brace after bare pairs
                            if (frame.Kind == FrameKind.Patient) { PopToParent(); return; }
                            _frames.Clear();
                            _productive = true;
                            EmitRecord(_rec);
                            return;
                        case Tok.OpenBrace:
                            if (frame.Kind == FrameKind.Implicit && index == 0)
                            {
                                FinishImplicit();
                                TopLevel(tok);
                                return;
                            }
                            if (frame.Kind == FrameKind.Record && index == 0)
                            {
                                AbandonOpenRecord("another record starts before it is closed");
                                TopLevel(tok);
                                return;
                            }
                            MarkBroken("a '{' appears where a key was expected");
                            return;
                        default:
                            // The message never echoes the text: it may be part of a description.
                            MarkBroken("unexpected text where a key was expected");
                            return;
                    }
                case Expect.Colon:
                    if (tok == Tok.Colon)
                    {
                        frame.Expect = Expect.Value;
                        _frames[index] = frame;
                        return;
                    }
                    if (frame.Kind == FrameKind.Implicit && _rec.Pairs == 0)
                    {
                        // A quoted word that is not a key: not a bare pair after all.
                        _frames.Clear();
                        _junk++;
                        TopLevel(tok);
                        return;
                    }
                    MarkBroken("a key is not followed by ':'");
                    return;
                default: // Expect.Value
                    switch (tok)
                    {
                        case Tok.String:
                            Assign(frame, Materialize());
                            frame.Expect = Expect.Key;
                            _frames[index] = frame;
                            return;
                        case Tok.Word:
                            Assign(frame, WordValue());
                            frame.Expect = Expect.Key;
                            _frames[index] = frame;
                            return;
                        case Tok.OpenBrace:
                            frame.Expect = Expect.Key;
                            _frames[index] = frame;
                            CountPair(frame);
                            if (frame.Key == Key.Patient && frame.Kind != FrameKind.Patient)
                                _frames.Add(new Frame { Kind = FrameKind.Patient, Expect = Expect.Key });
                            else
                                _frames.Add(new Frame { Kind = FrameKind.Skip, SkipDepth = 1 });
                            return;
                        case Tok.OpenBracket:
                            frame.Expect = Expect.Key;
                            _frames[index] = frame;
                            CountPair(frame);
                            _frames.Add(new Frame { Kind = FrameKind.Skip, SkipDepth = 1 });
                            return;
                        default:
                            MarkBroken("a key has no value");
                            return;
                    }
            }
        }

        private void PopToParent()
        {
            _frames.RemoveAt(_frames.Count - 1);
        }

        /// <summary>After a record breaks, skips its remaining tokens (tracking nesting) until its closing brace.</summary>
        private void Recover(Tok tok)
        {
            if (tok == Tok.OpenBrace || tok == Tok.OpenBracket) _recoverDepth++;
            else if (tok == Tok.CloseBrace || tok == Tok.CloseBracket) _recoverDepth--;
            if (_recoverDepth <= 0) EndRecoveredRecord();
        }

        private void MarkBroken(string reason)
        {
            if (_rec.Broken == null)
            {
                _rec.Broken = reason;
                _rec.BrokenLine = _lineNumber;
            }
            if (!_recovering)
            {
                _recovering = true;
                // Depth still open: every frame is one brace or bracket (an implicit record has none).
                _recoverDepth = 0;
                foreach (var f in _frames) _recoverDepth += f.Kind == FrameKind.Implicit ? 0 : (f.Kind == FrameKind.Skip ? f.SkipDepth : 1);
                if (_frames.Count > 0 && _frames[0].Kind == FrameKind.Implicit)
                {
                    // A bare-pair line ends with its line; nothing to wait for.
                    _recoverDepth = int.MaxValue;
                }
            }
        }

        /// <summary>Reports the broken record and returns to the top level.</summary>
        private void EndRecoveredRecord()
        {
            var implicitRecord = _frames.Count > 0 && _frames[0].Kind == FrameKind.Implicit;
            _frames.Clear();
            _recovering = false;
            _recoverDepth = 0;
            _productive = true;
            ReportBroken(_rec, implicitRecord);
        }

        private void AbandonOpenRecord(string why)
        {
            if (_frames.Count == 0) return;
            if (_frames[0].Kind == FrameKind.Implicit)
            {
                FinishImplicit();
                return;
            }
            MarkBroken("the record is not closed: " + why);
            EndRecoveredRecord();
        }

        private void FinishImplicit()
        {
            var broken = _recovering || _rec.Broken != null;
            _frames.Clear();
            _recovering = false;
            if (broken)
            {
                _productive = true;
                ReportBroken(_rec, true);
                return;
            }
            if (_rec.Pairs == 0)
            {
                _junk++; // a quoted word with no colon after it
                return;
            }
            _productive = true;
            if (_rec.Pairs >= 2)
            {
                FlushVertical();
                EmitRecord(_rec);
                return;
            }
            // One pair on this line: part of a record written one pair per line.
            if (_verticalPending && (_vertical.KnownKeys & _rec.KnownKeys) != 0) FlushVertical();
            if (!_verticalPending)
            {
                _vertical.Reset(_rec.StartLine);
                _verticalPending = true;
            }
            for (var i = 0; i < _rec.Fields.Length; i++) if (_rec.Fields[i] != null) _vertical.Fields[i] = _rec.Fields[i];
            if (_rec.PatientId != null) _vertical.PatientId = _rec.PatientId;
            _vertical.KnownKeys |= _rec.KnownKeys;
            _vertical.Pairs++;
        }

        private void FlushVertical()
        {
            if (!_verticalPending) return;
            _verticalPending = false;
            EmitRecord(_vertical);
        }

        // ---- records ----------------------------------------------------------------------------------------

        private void CountPair(Frame frame)
        {
            if (frame.Kind == FrameKind.Record || frame.Kind == FrameKind.Implicit)
            {
                _rec.Pairs++;
                _productive = true;
            }
        }

        private void Assign(Frame frame, string? value)
        {
            CountPair(frame);
            var key = frame.Key;
            if (frame.Kind == FrameKind.Patient)
            {
                if (key != Key.Id) return;
                _rec.KnownKeys |= 1 << 5;
                if (!string.IsNullOrEmpty(value)) _rec.PatientId = value;
                return;
            }
            if (key == Key.Unknown || key == Key.Patient) return;
            var slot = (int)key - 1;
            _rec.KnownKeys |= 1 << slot;
            if (string.IsNullOrEmpty(value)) return;
            var existing = _rec.Fields[slot];
            if (!string.IsNullOrEmpty(existing) && !string.Equals(existing, value, StringComparison.Ordinal))
            {
                MarkBroken($"'{KeyName(key)}' is given twice with different values");
                return;
            }
            _rec.Fields[slot] = value;
        }

        private void EmitRecord(Builder b)
        {
            var hospital = !string.IsNullOrWhiteSpace(b.PatientId) ? b.PatientId : b.Fields[(int)Key.Id - 1];
            var accession = Clean(b.Fields[(int)Key.Accession - 1]);
            var date = Clean(b.Fields[(int)Key.StudyDate - 1]);
            var description = b.Fields[(int)Key.StudyDescription - 1] ?? "";
            var uid = Clean(b.Fields[(int)Key.Uid - 1]);
            hospital = Clean(hospital);
            if (accession.Length == 0 && hospital.Length == 0 && date.Length == 0 && description.Length == 0 && uid.Length == 0)
            {
                _out.Add(new FailureReadItem<RawFailureRecord>(new InputFormatException(_source, b.StartLine, null,
                    "the record has no accessionNumber, id, studyDate, studyDescription or studyInstanceUid value.")));
                return;
            }
            _out.Add(new FailureReadItem<RawFailureRecord>(new RawFailureRecord(_source, b.StartLine, accession, hospital, date, description, uid)));
        }

        private void ReportBroken(Builder b, bool implicitRecord)
        {
            var where = b.BrokenLine != b.StartLine
                ? $" (the record starts on line {b.StartLine.ToString(CultureInfo.InvariantCulture)} and breaks on line {b.BrokenLine.ToString(CultureInfo.InvariantCulture)})"
                : "";
            var what = implicitRecord ? "the \"key\":value pairs on this line cannot be read: " : "the record cannot be read: ";
            _out.Add(new FailureReadItem<RawFailureRecord>(new InputFormatException(_source, b.StartLine, null, what + (b.Broken ?? "it is malformed") + where + ".")));
        }

        private static bool IsField(Key key) => key != Key.Unknown && key != Key.Patient;

        private static string Clean(string? value) => value == null ? "" : value.Trim();

        private static string KeyName(Key key) => key switch
        {
            Key.Accession => "accessionNumber",
            Key.Id => "id",
            Key.StudyDate => "studyDate",
            Key.StudyDescription => "studyDescription",
            Key.Uid => "studyInstanceUid",
            Key.Patient => "patient",
            _ => "?",
        };

        // ---- tokenizer --------------------------------------------------------------------------------------

        private Tok Next()
        {
            var s = _text;
            var i = _pos;
            while (i < s.Length && (char.IsWhiteSpace(s[i]) || s[i] == '\uFEFF')) i++;
            if (i >= s.Length)
            {
                _pos = i;
                return Tok.None;
            }
            var c = s[i];
            _tokStart = i;
            _tokLen = 1;
            _tokEscaped = false;
            switch (c)
            {
                case '{': _pos = i + 1; return Tok.OpenBrace;
                case '}': _pos = i + 1; return Tok.CloseBrace;
                case '[': _pos = i + 1; return Tok.OpenBracket;
                case ']': _pos = i + 1; return Tok.CloseBracket;
                case ',': _pos = i + 1; return Tok.Comma;
                case ':': _pos = i + 1; return Tok.Colon;
                case '"':
                case '\'':
                    {
                        var j = i + 1;
                        while (j < s.Length)
                        {
                            var d = s[j];
                            if (d == c) break;
                            if (d == '\\')
                            {
                                _tokEscaped = true;
                                j += 2;
                                continue;
                            }
                            j++;
                        }
                        if (j >= s.Length)
                        {
                            _pos = s.Length;
                            return Tok.Unterminated;
                        }
                        _tokStart = i + 1;
                        _tokLen = j - i - 1;
                        _pos = j + 1;
                        return Tok.String;
                    }
                default:
                    {
                        var j = i + 1;
                        while (j < s.Length)
                        {
                            var d = s[j];
                            if (char.IsWhiteSpace(d) || d == '{' || d == '}' || d == '[' || d == ']' || d == ',' || d == ':' || d == '"') break;
                            j++;
                        }
                        _tokLen = j - i;
                        _pos = j;
                        return Tok.Word;
                    }
            }
        }

        private string? WordValue()
        {
            if (TokenIs("null") || TokenIs("None")) return null;
            return _text.Substring(_tokStart, _tokLen);
        }

        private bool TokenIs(string word) =>
            _tokLen == word.Length && string.CompareOrdinal(_text, _tokStart, word, 0, word.Length) == 0;

        private string Materialize()
        {
            if (!_tokEscaped) return _text.Substring(_tokStart, _tokLen);
            var sb = _unescape.Clear();
            var end = _tokStart + _tokLen;
            for (var i = _tokStart; i < end; i++)
            {
                var c = _text[i];
                if (c != '\\' || i + 1 >= end)
                {
                    sb.Append(c);
                    continue;
                }
                var e = _text[++i];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'u' when i + 4 < end && ushort.TryParse(_text.Substring(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                        sb.Append((char)code);
                        i += 4;
                        break;
                    case '"':
                    case '\\':
                    case '/':
                    case '\'':
                        sb.Append(e);
                        break;
                    default:
                        // Not a JSON escape: keep both characters as written (e.g. a Windows path).
                        sb.Append('\\').Append(e);
                        break;
                }
            }
            return sb.ToString();
        }

        private Key ClassifyKey()
        {
            // Fast path: exact names, any case, without allocating.
            if (TokenIsIgnoreCase("accessionNumber")) return Key.Accession;
            if (TokenIsIgnoreCase("id")) return Key.Id;
            if (TokenIsIgnoreCase("studyDate")) return Key.StudyDate;
            if (TokenIsIgnoreCase("studyDescription")) return Key.StudyDescription;
            if (TokenIsIgnoreCase("studyInstanceUid")) return Key.Uid;
            if (TokenIsIgnoreCase("patient")) return Key.Patient;
            if (TokenIsIgnoreCase("patientId") || TokenIsIgnoreCase("hospitalId")) return Key.Id;
            var needsNormalising = _tokEscaped;
            for (var i = _tokStart; i < _tokStart + _tokLen && !needsNormalising; i++)
            {
                var c = _text[i];
                needsNormalising = c == '_' || c == '-' || c == ' ';
            }
            if (!needsNormalising || _tokLen > 40) return Key.Unknown;
            // accession_number, "Study Date", study-instance-uid …
            var raw = Materialize();
            var sb = new StringBuilder(raw.Length);
            foreach (var c in raw) if (c != '_' && c != '-' && c != ' ') sb.Append(char.ToLowerInvariant(c));
            switch (sb.ToString())
            {
                case "accessionnumber": return Key.Accession;
                case "id":
                case "patientid":
                case "hospitalid": return Key.Id;
                case "studydate": return Key.StudyDate;
                case "studydescription": return Key.StudyDescription;
                case "studyinstanceuid": return Key.Uid;
                case "patient": return Key.Patient;
                default: return Key.Unknown;
            }
        }

        private bool TokenIsIgnoreCase(string word) =>
            _tokLen == word.Length && string.Compare(_text, _tokStart, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) == 0;

        // ---- line classification ----------------------------------------------------------------------------

        private static int FirstNonSpace(string line)
        {
            for (var i = 0; i < line.Length; i++) if (!char.IsWhiteSpace(line[i]) && line[i] != '\uFEFF') return i;
            return -1;
        }

        /// <summary>
        /// A spreadsheet or CSV row holding JSON with every quote doubled. Valid JSON never contains a name
        /// character followed by <c>"":</c> (an empty string cannot follow a word), doubled JSON always does.
        /// </summary>
        internal static bool IsDoubledQuoteLine(string line)
        {
            var from = 0;
            while (true)
            {
                var at = line.IndexOf("\"\"", from, StringComparison.Ordinal);
                if (at < 0) return false;
                var after = at + 2;
                while (after < line.Length && line[after] == ' ') after++;
                if (after < line.Length && line[after] == ':' && at > 0 && IsNameChar(line[at - 1])) return true;
                from = at + 1;
            }
        }

        private static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c == '_';

        /// <summary>
        /// A column heading such as <c>json</c>, <c>"record"</c> or <c>failures,record</c>: no braces, colons or
        /// digits (every record has a date, UID or accession number, so has digits).
        /// </summary>
        private static bool IsHeaderLike(string line, bool allowQuotes = false)
        {
            foreach (var c in line)
            {
                if (!allowQuotes && (c == '"' || c == '\'')) return false;
                if (c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || char.IsDigit(c)) return false;
            }
            return true;
        }

        /// <summary>
        /// Turns a doubled-quote row back into the JSON it was made from: the cells are read with CsvHelper
        /// (undoubling the quotes) and re-joined with the commas the export split at. Braces outside the first
        /// and last cells' quotes are kept aside so the cell reader sees well-formed quoted cells.
        /// </summary>
        internal static string Undouble(string line)
        {
            var text = line.Trim();
            var open = text.Length > 1 && text[0] == '{' && text[1] == '"';
            var close = text.Length > 1 && text[text.Length - 1] == '}' && text[text.Length - 2] == '"';
            if (open) text = text.Substring(1);
            if (close) text = text.Substring(0, text.Length - 1);
            var config = text.IndexOf('\t') >= 0 ? TabCells : text.IndexOf("\";\"", StringComparison.Ordinal) >= 0 ? SemicolonCells : CommaCells;
            var sb = new StringBuilder(text.Length);
            if (open) sb.Append('{');
            using (var parser = new CsvParser(new StringReader(text), config))
            {
                if (parser.Read())
                {
                    for (var i = 0; i < parser.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        sb.Append(parser[i]);
                    }
                }
            }
            if (close) sb.Append('}');
            return sb.ToString();
        }

        private static CsvConfiguration CellConfig(string delimiter) => new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = delimiter,
            HasHeaderRecord = false,
            Mode = CsvMode.RFC4180,
            // The cells' content is validated by the JSON tokenizer, which names the line; CsvHelper only undoubles.
            BadDataFound = null,
            MissingFieldFound = null,
            BufferSize = 1024,
        };
    }
}
