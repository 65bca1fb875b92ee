using System;
using System.Management.Automation;
using HandiImaging.Core.IO;

namespace HandiImaging
{
    /// <summary>
    /// Makes a DateTime parameter follow Core's one date rule (<see cref="DateValue.TryParseUser"/>): text is read
    /// as yyyy-MM-dd, yyyyMMdd or dd/MM/yyyy, never month-first, before PowerShell's own conversion (which is
    /// invariant-culture, so month-first) can see it. A [datetime] passes through; anything else is an error
    /// naming the value and the accepted forms. Works for arguments and for values bound from the pipeline.
    /// </summary>
    public sealed class UserDateTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            var value = inputData is PSObject pso ? pso.BaseObject : inputData;
            switch (value)
            {
                case null:
                    return null;
                case DateTime date:
                    return date;
                case DateTimeOffset offset:
                    return offset.DateTime;
                case string text when text.Trim().Length == 0:
                    return null;
                case string text:
                    if (DateValue.TryParseUser(text, out var parsed)) return parsed;
                    throw new ArgumentTransformationMetadataException(DateValue.Problem(text, "The date") + ".");
                default:
                    throw new ArgumentTransformationMetadataException(
                        $"The date '{value}' (a {value.GetType().Name}) is not a date; give a [datetime] or text in the form {DateValue.AcceptedForms}.");
            }
        }
    }
}
